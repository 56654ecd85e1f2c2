package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/ingest"
)

// External is a scanner that runs in a scan unit beside the native
// modules (Prowler). Its findings join the unit's result: one with the
// dedup key of a native finding is that finding, listing both sources.
type External interface {
	Name() string
	// Scan runs the scanner for one unit with the member account's
	// credentials (cfg, already in the audit role) and returns its
	// findings in the shared schema and the services it covered.
	Scan(ctx context.Context, req ExternalRequest) (ExternalResult, error)
}

// ExternalRequest is one unit's run of an external scanner.
type ExternalRequest struct {
	LandingZone rampart.LandingZone
	Account     rampart.Account
	Unit        rampart.ScanUnit
	Config      aws.Config // member account, audit role; Region is the unit's (home region for global)
}

// ExternalResult is what an external scanner found in a unit.
type ExternalResult struct {
	Findings []rampart.Finding
	Services []rampart.ServiceResult
}

// external runs e.Externals for the unit whose native result is res and
// merges their findings and services into it. A scanner that fails makes
// the unit partial with its error class; nothing it found is lost.
func (r *run) external(ctx context.Context, lr *lzRun, acct rampart.Account, cfg aws.Config, res rampart.UnitResult) rampart.UnitResult {
	if len(r.e.Externals) == 0 || res.Unit.State == rampart.UnitSkipped || res.Unit.State == rampart.UnitFailed {
		return res
	}
	byID := make(map[string]int, len(res.Findings))
	for i, f := range res.Findings {
		byID[f.FindingID] = i
	}
	for _, x := range r.e.Externals {
		out, err := x.Scan(ctx, ExternalRequest{LandingZone: lr.lz, Account: acct, Unit: res.Unit, Config: cfg})
		if err != nil {
			class := r.e.Classify(err)
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
				class = rampart.ErrClassTimeout
			}
			r.e.Logger.Warn("external scanner failed", "scanner", x.Name(), "unit", res.Unit.ID, "error", err)
			res.Unit.Services = append(res.Unit.Services, rampart.ServiceResult{Service: x.Name(), Status: rampart.ServiceFailed,
				ErrorClass: class, Error: err.Error()})
			if res.Unit.State == rampart.UnitSucceeded {
				res.Unit.State = rampart.UnitPartial
			}
			if res.Unit.ErrorClass == "" {
				res.Unit.ErrorClass = class
			}
			res.Unit.Error = strings.TrimPrefix(res.Unit.Error+"; "+x.Name()+": "+err.Error(), "; ")
			continue
		}
		res.Unit.Services = append(res.Unit.Services, out.Services...)
		for _, f := range out.Findings {
			if f.AccountID != res.Unit.AccountID {
				continue // another account's record: not this unit's
			}
			f.ScanID, f.Scope = res.Unit.ScanID, res.Unit.Region
			ingest.Enrich(&f, lr.lz, acct)
			f.ComputeID()
			if r.e.Mutelist != nil {
				r.e.Mutelist.Apply(&f, r.e.Now().UTC())
			}
			if i, ok := byID[f.FindingID]; ok {
				res.Findings[i].Sources = rampart.MergeSources(res.Findings[i].Sources, f.Sources)
				continue
			}
			byID[f.FindingID] = len(res.Findings)
			res.Findings = append(res.Findings, f)
		}
	}
	res.Unit.Findings = len(res.Findings)
	return res
}

// Prowler runs the prowler executable for a unit: AWS, the unit's region
// (the global unit runs the global services in the home region; regional
// units exclude them), the audit role's temporary credentials in the
// environment, json-ocsf output into a temporary directory, a timeout.
type Prowler struct {
	// Path is the executable ("prowler" is looked up on PATH).
	Path string
	// Timeout bounds one run (default 30 minutes).
	Timeout time.Duration
	// Args are added to every run (e.g. --checks, --compliance).
	Args []string
	// TempDir holds the runs' output directories (default os.TempDir()).
	TempDir string
}

// globalServices are the AWS services Prowler evaluates once per account.
var globalServices = []string{"iam", "organizations", "account", "cloudfront", "route53"}

// Name implements External.
func (p *Prowler) Name() string { return rampart.SourceProwler }

// Scan implements External.
func (p *Prowler) Scan(ctx context.Context, req ExternalRequest) (ExternalResult, error) {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	creds, err := req.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return ExternalResult{}, fmt.Errorf("prowler: credentials for %s: %w", req.Unit.AccountID, err)
	}
	dir, err := os.MkdirTemp(p.TempDir, "rampart-prowler-")
	if err != nil {
		return ExternalResult{}, fmt.Errorf("prowler: %w", err)
	}
	defer os.RemoveAll(dir)
	args := []string{"aws", "--region", req.Config.Region, "--output-formats", "json-ocsf",
		"--output-directory", dir, "--output-filename", "rampart", "--no-banner", "--ignore-exit-code-3"}
	if req.Unit.Region == rampart.GlobalRegion {
		args = append(args, append([]string{"--services"}, globalServices...)...)
	} else {
		args = append(args, append([]string{"--excluded-services"}, globalServices...)...)
	}
	args = append(args, p.Args...)
	path := p.Path
	if path == "" {
		path = "prowler"
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey,
		"AWS_SESSION_TOKEN="+creds.SessionToken, "AWS_DEFAULT_REGION="+req.Config.Region, "AWS_REGION="+req.Config.Region,
		"RAMPART_ACCOUNT_ID="+req.Unit.AccountID, "RAMPART_REGION="+req.Unit.Region)
	var stderr strings.Builder
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ExternalResult{}, &rampart.ClassifiedError{Class: rampart.ErrClassTimeout,
				Err: fmt.Errorf("prowler: no result within %s", timeout)}
		}
		return ExternalResult{}, fmt.Errorf("prowler: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	out := filepath.Join(dir, "rampart.ocsf.json")
	f, err := os.Open(out)
	if err != nil {
		return ExternalResult{}, fmt.Errorf("prowler: no OCSF output: %w", err)
	}
	defer f.Close()
	r := ingest.NewOCSFReader(f, "prowler output of "+req.Unit.ID, ingest.Options{LandingZoneID: req.LandingZone.ID})
	var res ExternalResult
	checks := map[string]map[string]bool{}
	var order []string
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ExternalResult{}, fmt.Errorf("prowler: %w", err)
		}
		fd := rec.Finding
		if checks[fd.Service] == nil {
			checks[fd.Service] = map[string]bool{}
			order = append(order, fd.Service)
		}
		checks[fd.Service][fd.ControlID] = true
		res.Findings = append(res.Findings, fd)
	}
	for _, s := range order {
		var ids []string
		for id := range checks[s] {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		res.Services = append(res.Services, rampart.ServiceResult{Service: s, Checks: ids, Status: rampart.ServiceOK, ChecksRun: len(ids)})
	}
	return res, nil
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
