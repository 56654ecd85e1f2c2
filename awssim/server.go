package awssim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server.
type Options struct {
	// Now is the simulator's clock. Resource ages in the estate ("N days
	// ago") are relative to its time when New is called: a resource's
	// creation, launch or last use is a fixed instant, as in AWS, so it
	// grows older as the clock advances. Defaults to time.Now.
	Now func() time.Time
	// Latency is added to every call, on top of the estate's latency.
	Latency time.Duration
	// PageSize is the default page size of paginated operations when the
	// caller does not ask for one. Defaults to 5 so that pagination is
	// always exercised.
	PageSize int
	// Logger receives one debug line per call. Defaults to discarding.
	Logger *slog.Logger
	// QuotaNow is the clock of the throttling token buckets (quota.go).
	// Defaults to time.Now; tests inject a manual clock.
	QuotaNow func() time.Time
}

// Server is the AWS simulator. It is an http.Handler; Start serves it on a
// listener of its own.
type Server struct {
	opts Options
	// epoch is the clock's time at New: what the estate's "N days ago"
	// count back from.
	epoch time.Time

	mu     sync.RWMutex // guards estate (including bucket objects)
	estate *Estate

	sessMu   sync.Mutex
	sessions map[string]*session

	faultMu sync.Mutex
	faults  []*faultState

	quota quotaState // throttling buckets (quota.go)

	callMu sync.Mutex
	calls  []Call
	seq    atomic.Uint64
	reqID  atomic.Uint64

	srv *http.Server
	ln  net.Listener
}

type session struct {
	Account     string
	Role        string
	SessionName string
	Secret      string
	Token       string
	Expiration  time.Time
}

type faultState struct {
	Fault
	hits int
}

// New returns a simulator serving estate. The server owns estate from now
// on: change it only through Mutate.
func New(estate *Estate, opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 5
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, estate: estate, sessions: map[string]*session{}}
	s.epoch = s.now()
	s.SetFaults(estate.Faults)
	return s
}

// Start serves the simulator on addr (e.g. "127.0.0.1:0") and returns its
// base URL, e.g. "http://127.0.0.1:43121".
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("awssim: listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Error("awssim: serve", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close stops a server started with Start. Calls in flight are cut off.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Estate returns the served estate. Read it only while no calls are in
// flight; change it only through Mutate.
func (s *Server) Estate() *Estate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.estate
}

// Mutate runs fn on the served estate while no call is being served, so
// tests can change resources between scans (e.g. fix a bucket). Afterwards
// the estate is validated again and derived fields (IDs left empty, name
// references) are filled in; the returned error lists what is invalid.
func (s *Server) Mutate(fn func(*Estate)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.estate)
	v := &validator{file: "estate " + s.estate.Name}
	v.estate(s.estate)
	if len(v.errs) > 0 {
		return fmt.Errorf("awssim: estate invalid after Mutate:\n  %s", strings.Join(v.errs, "\n  "))
	}
	return nil
}

// SetFaults replaces the active faults and resets their counts. It returns
// an error naming the first invalid fault.
func (s *Server) SetFaults(faults []Fault) error {
	var fs []*faultState
	for i, f := range faults {
		if err := f.validate(); err != nil {
			return fmt.Errorf("awssim: fault %d: %w", i, err)
		}
		fs = append(fs, &faultState{Fault: f})
	}
	s.faultMu.Lock()
	s.faults = fs
	s.faultMu.Unlock()
	return nil
}

// Calls returns a copy of every call served since the start or the last
// ResetCalls, in order of completion.
func (s *Server) Calls() []Call {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	return append([]Call(nil), s.calls...)
}

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.callMu.Lock()
	s.calls = nil
	s.callMu.Unlock()
}

// call is one request being served.
type call struct {
	// start, startSeq and recorded let a handler that ends the connection
	// itself record the call before the client can see the outcome.
	start    time.Time
	startSeq uint64
	recorded bool

	w       http.ResponseWriter
	r       *http.Request
	reqID   string
	cred    credential
	service string
	op      string
	form    url.Values
	body    []byte
	account *Account
	org     *Organization
	arn     string // caller ARN
	userID  string
	status  int
	errCode string
	wrote   bool
}

func (c *call) region() string { return c.cred.Region }

// fail writes e in the protocol's shape.
func (c *call) fail(e *awsError) {
	c.status, c.errCode, c.wrote = e.Status, e.Code, true
	writeError(c.w, c.r.Method, c.service, c.reqID, e)
}

// ServeHTTP answers one AWS API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	startSeq := s.seq.Add(1)
	c := &call{w: w, r: r, reqID: fmt.Sprintf("sim-%08d", s.reqID.Add(1)), start: start, startSeq: startSeq}
	defer func() {
		if v := recover(); v != nil {
			s.opts.Logger.Error("awssim: handler panic", "service", c.service, "op", c.op, "panic", v)
			if !c.wrote {
				c.fail(internalError(c.service))
			}
		}
		if !c.recorded {
			s.record(c, start, startSeq)
		}
	}()

	body, err := io.ReadAll(io.LimitReader(r.Body, 256<<20))
	if err != nil {
		c.service = "s3"
		c.fail(errf(400, "IncompleteBody", "read request body: %v", err))
		return
	}
	c.body = body

	cred, ok := parseCredential(r)
	if ok {
		c.cred = cred
		c.service = cred.Service
	}
	if c.service != "s3" && c.service != "organizations" {
		c.form = formOf(r, body)
	}
	if !ok {
		c.service = guessService(r, c.form)
		c.op = s.operation(c)
		c.fail(missingAuthError(c.service))
		return
	}
	if !serviceNames[c.service] {
		c.op = "Unknown"
		c.fail(errf(400, "UnknownServiceException", "service %q is not simulated", c.service))
		return
	}
	c.op = s.operation(c)

	if e := s.authenticate(c); e != nil {
		c.fail(e)
		return
	}
	if e := s.applyQuota(c); e != nil {
		c.fail(e)
		return
	}
	if e := s.applyFaults(c); e != nil {
		if e != errAnswered {
			c.fail(e)
		}
		return
	}
	if err := s.sleep(r.Context(), s.latency()); err != nil {
		return
	}

	h := handlers[c.service][c.op]
	if h == nil {
		c.fail(unsupportedError(c.service, c.op))
		return
	}
	if IsMutating(c.service, c.op) {
		s.mu.Lock()
		defer s.mu.Unlock()
	} else {
		s.mu.RLock()
		defer s.mu.RUnlock()
	}
	if e := h(s, c); e != nil {
		c.fail(e)
	}
}

func formOf(r *http.Request, body []byte) url.Values {
	form := r.URL.Query()
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(body)); err == nil {
			for k, vs := range v {
				form[k] = append(form[k], vs...)
			}
		}
	}
	return form
}

// operation names the called operation from the protocol's envelope.
func (s *Server) operation(c *call) string {
	if op := servicesOperation(c); op != "" {
		return op
	}
	switch protocolOf(c.service) {
	case protoJSON:
		t := c.r.Header.Get("X-Amz-Target")
		if i := strings.LastIndexByte(t, '.'); i >= 0 {
			return t[i+1:]
		}
		return t
	case protoREST:
		return s3Operation(c.r)
	}
	return c.form.Get("Action")
}

// authenticate resolves the caller's account from the access key and
// checks that the region is enabled for regional services.
func (s *Server) authenticate(c *call) *awsError {
	s.mu.RLock()
	defer s.mu.RUnlock()
	key := c.cred.AccessKey
	var acct, arn, userID string
	for _, o := range s.estate.Organizations {
		for _, a := range o.Accounts {
			for _, k := range a.AccessKeys {
				if k.ID == key {
					acct = a.ID
					arn = "arn:aws:iam::" + a.ID + ":user/" + k.User
					userID = derivedKeyID("AIDA", a.ID, k.User)
				}
			}
		}
	}
	if acct == "" {
		s.sessMu.Lock()
		sess := s.sessions[key]
		s.sessMu.Unlock()
		if sess != nil {
			acct = sess.Account
			arn = "arn:aws:sts::" + sess.Account + ":assumed-role/" + sess.Role + "/" + sess.SessionName
			userID = derivedKeyID("AROA", sess.Account, sess.Role) + ":" + sess.SessionName
		}
	}
	if acct == "" {
		return authError(c.service)
	}
	c.account = s.estate.Account(acct)
	c.org = s.estate.OrganizationOf(acct)
	if c.account == nil {
		return authError(c.service)
	}
	c.arn, c.userID = arn, userID
	switch c.service {
	case "ec2":
		// A region that is not enabled (an opt-in region the account has
		// not opted in to, or an unknown one) cannot validate the account's
		// credentials: AWS answers AuthFailure.
		if !s.estate.RegionEnabled(c.account, c.region()) {
			return errf(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
		}
	case "sts":
		if !s.estate.RegionEnabled(c.account, c.region()) {
			return errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
		}
	}
	return nil
}

// applyFaults applies the first matching error fault and every matching
// latency fault.
func (s *Server) applyFaults(c *call) *awsError {
	match := func(pattern, v string) bool { return pattern == "" || pattern == "*" || pattern == v }
	var delay time.Duration
	var kind string
	s.faultMu.Lock()
	for _, f := range s.faults {
		if !match(f.Account, c.account.ID) || !match(f.Region, c.region()) ||
			!match(f.Service, c.service) || !match(f.Operation, c.op) {
			continue
		}
		if f.Count > 0 && f.hits >= f.Count {
			continue
		}
		if f.Kind == FaultLatency {
			f.hits++
			delay += f.Latency
			continue
		}
		if kind == "" {
			f.hits++
			kind = f.Kind
		}
	}
	s.faultMu.Unlock()
	if delay > 0 {
		if err := s.sleep(c.r.Context(), delay); err != nil {
			return internalError(c.service)
		}
	}
	switch kind {
	case FaultThrottle:
		return throttleError(c.service)
	case FaultAccessDenied:
		return accessDeniedError(c.service, c.op, c.arn)
	case FaultInternalError:
		return internalError(c.service)
	}
	return s.extraFault(c, kind)
}

func (s *Server) latency() time.Duration {
	s.mu.RLock()
	l := s.estate.Latency
	s.mu.RUnlock()
	return s.opts.Latency + l.sample()
}

func (s *Server) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) record(c *call, start time.Time, startSeq uint64) {
	status := c.status
	if status == 0 && c.errCode == "" {
		status = http.StatusOK
	}
	acct := ""
	if c.account != nil {
		acct = c.account.ID
	}
	call := Call{
		Service: c.service, Operation: c.op, Account: acct, Region: c.cred.Region,
		AccessKey: c.cred.AccessKey, Start: start, End: time.Now(),
		StartSeq: startSeq, EndSeq: s.seq.Add(1),
		Status: status, ErrorCode: c.errCode, Mutating: IsMutating(c.service, c.op),
	}
	s.callMu.Lock()
	s.calls = append(s.calls, call)
	s.callMu.Unlock()
	s.opts.Logger.Debug("awssim call", "service", call.Service, "op", call.Operation, "account", acct,
		"region", call.Region, "status", status, "error", call.ErrorCode)
}

// now returns the simulator's clock, truncated to seconds.
func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

// daysAgo is the instant n days before the epoch: an estate's "N days
// ago" stays the same instant however long the simulator runs, so a scan
// on the next day sees the same dates, a day older.
func (s *Server) daysAgo(n int) time.Time { return s.epoch.Add(-time.Duration(n) * 24 * time.Hour) }

// page slices n items for a paginated call: token is the opaque token the
// caller sent back, max the requested page size (0 = default). It returns
// the range [lo, hi) and the next token ("" on the last page).
func (s *Server) page(n int, token string, max int) (lo, hi int, next string, err error) {
	if max <= 0 {
		max = s.opts.PageSize
	}
	if token != "" {
		v, ok := strings.CutPrefix(token, "simpage-")
		lo, err = strconv.Atoi(v)
		if !ok || err != nil || lo < 0 || lo > n {
			return 0, 0, "", fmt.Errorf("invalid pagination token %q", token)
		}
	}
	hi = min(lo+max, n)
	if hi < n {
		next = "simpage-" + strconv.Itoa(hi)
	}
	return lo, hi, next, nil
}

type handler func(s *Server, c *call) *awsError

// handlers maps service → operation → handler; filled by each service file.
var handlers = map[string]map[string]handler{}

// Run serves the simulator on addr until ctx is done, for the
// `rampart sim` command. ready, if not nil, receives the base URL once the
// listener is up.
func (s *Server) Run(ctx context.Context, addr string, ready func(url string)) error {
	url, err := s.Start(addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(url)
	}
	<-ctx.Done()
	return s.Close()
}
