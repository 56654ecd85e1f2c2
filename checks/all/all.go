// Package all is the one visible list of the scanner modules Rampart ships.
// cmd/rampart builds its registry here; adding a module means adding it to
// Modules and nowhere else.
package all

import (
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/compute"
	"github.com/rampart-cspm/rampart/checks/config"
	"github.com/rampart-cspm/rampart/checks/cost"
	"github.com/rampart-cspm/rampart/checks/dynamodb"
	"github.com/rampart-cspm/rampart/checks/ec2"
	"github.com/rampart-cspm/rampart/checks/iam"
	"github.com/rampart-cspm/rampart/checks/kms"
	"github.com/rampart-cspm/rampart/checks/lambda"
	"github.com/rampart-cspm/rampart/checks/logging"
	"github.com/rampart-cspm/rampart/checks/rds"
	"github.com/rampart-cspm/rampart/checks/s3"
	"github.com/rampart-cspm/rampart/checks/ssm"
)

// Modules returns a fresh instance of every module that ships, with SDK
// clients built from each unit's Env.
func Modules() []checks.Module {
	return []checks.Module{
		iam.New(),
		s3.New(),
		ec2.New(), // the networking module
		compute.New(),
		cost.New(),
		rds.New(),
		dynamodb.New(),
		lambda.New(),
		config.New(),
		ssm.New(),
		logging.New(),
		kms.New(),
	}
}

// Registry returns the registry of Modules, or an error naming a duplicate
// module or check ID.
func Registry() (*checks.Registry, error) {
	return checks.NewRegistry(Modules()...)
}
