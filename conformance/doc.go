// Package conformance holds test-only suites that check Rampart's collectors
// and checks against an independent implementation of the AWS APIs (moto),
// so that the simulator in awssim/ and the collectors in checks/ cannot
// share a wrong idea of AWS unnoticed. The package has no exported API: its
// tests build cmd/rampart, seed moto with an unguarded SDK client, run a real
// scan against it and assert on the stored findings and unit states.
package conformance
