package risk

import "sync/atomic"

// Holder holds the policy in force. A policy that fails to load never
// replaces it: the previous one stays in force.
type Holder struct {
	p atomic.Pointer[Policy]
}

// NewHolder returns a holder with p in force (the default policy if nil).
func NewHolder(p *Policy) *Holder {
	if p == nil {
		p = DefaultPolicy()
	}
	h := &Holder{}
	h.p.Store(p)
	return h
}

// Policy returns the policy in force.
func (h *Holder) Policy() *Policy { return h.p.Load() }

// Load loads the policy at path and puts it in force. On error (a
// *PolicyError with file and line) the previous policy stays in force.
func (h *Holder) Load(path string) error {
	p, err := LoadPolicy(path)
	if err != nil {
		return err
	}
	h.p.Store(p)
	return nil
}
