package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/rampart-cspm/rampart"
)

// progress shows scan progress per landing zone: a redrawn block of lines
// on a terminal, plain log lines otherwise.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	log    *slog.Logger
	tty    bool
	order  []string
	states map[string]map[rampart.UnitState]int
	drawn  int
}

func newProgress(w io.Writer, log *slog.Logger, lzs []rampart.LandingZone) *progress {
	p := &progress{w: w, log: log, states: map[string]map[rampart.UnitState]int{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	for _, lz := range lzs {
		p.order = append(p.order, lz.ID)
		p.states[lz.ID] = map[rampart.UnitState]int{}
	}
	return p
}

func (p *progress) unitDone(res rampart.UnitResult) {
	u := res.Unit
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.states[u.LandingZoneID] == nil {
		p.states[u.LandingZoneID] = map[rampart.UnitState]int{}
	}
	p.states[u.LandingZoneID][u.State]++
	if !p.tty {
		attrs := []any{"lz", u.LandingZoneID, "account", u.AccountID, "region", u.Region, "state", u.State,
			"findings", len(res.Findings), "attempts", u.Attempts}
		if u.ErrorClass != "" {
			attrs = append(attrs, "error_class", u.ErrorClass, "error", u.Error)
		}
		p.log.Info("unit done", attrs...)
		return
	}
	p.draw()
}

func (p *progress) draw() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\033[%dA", p.drawn)
	}
	for _, id := range p.order {
		st := p.states[id]
		var parts []string
		done := 0
		keys := make([]string, 0, len(st))
		for s, n := range st {
			keys = append(keys, fmt.Sprintf("%s %d", s, n))
			done += n
		}
		sort.Strings(keys)
		parts = append(parts, keys...)
		fmt.Fprintf(p.w, "\033[2K%-20s units done %4d  %s\n", id, done, strings.Join(parts, ", "))
	}
	p.drawn = len(p.order)
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn > 0 {
		p.draw()
	}
}
