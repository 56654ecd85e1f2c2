package main

import (
	"github.com/rampart-cspm/rampart/config"
	"github.com/rampart-cspm/rampart/pipeline"
)

// prowlerExternals returns the external scanners scan.prowler asks for:
// Prowler when it is configured or, with the key absent, found on PATH
// (lookPath is exec.LookPath); none when it is off.
func prowlerExternals(c config.Prowler, lookPath func(string) (string, error)) ([]pipeline.External, error) {
	path, err := c.Resolve(lookPath)
	if err != nil || path == "" {
		return nil, err
	}
	return []pipeline.External{&pipeline.Prowler{Path: path, Timeout: c.Timeout, Args: c.Args}}, nil
}
