package postgres

// SetFlushRows sets how many rows an ingest holds before writing them,
// and returns the function that restores it.
func SetFlushRows(n int) func() {
	old := flushRows
	flushRows = n
	return func() { flushRows = old }
}
