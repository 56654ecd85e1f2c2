// Package config is Rampart's AWS Config scanner module. It reads the
// configuration recorders, their status and the delivery channels of one
// region and evaluates whether the region is recorded (all resources,
// recording, a delivery channel) and whether the recorder uses the
// service-linked role. It runs once per account and region.
package config

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name and the service of its findings.
const Name = "config"

// API is the part of the Config client the collector calls.
type API interface {
	DescribeConfigurationRecorders(ctx context.Context, in *configservice.DescribeConfigurationRecordersInput, optFns ...func(*configservice.Options)) (*configservice.DescribeConfigurationRecordersOutput, error)
	DescribeConfigurationRecorderStatus(ctx context.Context, in *configservice.DescribeConfigurationRecorderStatusInput, optFns ...func(*configservice.Options)) (*configservice.DescribeConfigurationRecorderStatusOutput, error)
	DescribeDeliveryChannels(ctx context.Context, in *configservice.DescribeDeliveryChannelsInput, optFns ...func(*configservice.Options)) (*configservice.DescribeDeliveryChannelsOutput, error)
}

// State is the AWS Config setup of one account and region.
type State struct {
	AccountID        string      `json:"account_id"`
	Region           string      `json:"region"`
	Recorders        []*Recorder `json:"recorders"`
	DeliveryChannels []string    `json:"delivery_channels"`
}

// Recorder is one configuration recorder with its status.
type Recorder struct {
	Name            string `json:"name"`
	RoleARN         string `json:"role_arn"`
	AllSupported    bool   `json:"all_supported"`
	GlobalResources bool   `json:"global_resources"`
	Recording       bool   `json:"recording"`
	LastStatus      string `json:"last_status,omitempty"`
}

// Module is the config scanner module.
type Module struct{ *modkit.Std[*State] }

// Option configures the module.
type Option func(*options)

type options struct{ api func(checks.Env) API }

// WithAPI makes the module call api instead of an SDK client.
func WithAPI(api API) Option { return func(o *options) { o.api = func(checks.Env) API { return api } } }

// New returns the Config module.
func New(opts ...Option) checks.Module {
	o := options{api: func(env checks.Env) API { return configservice.NewFromConfig(env.Config) }}
	for _, f := range opts {
		f(&o)
	}
	return &Module{&modkit.Std[*State]{ModName: Name, ModScope: checks.ScopeRegional, List: Checks,
		Collect: func(ctx context.Context, env checks.Env) (*State, error) { return collect(ctx, env, o.api(env)) }}}
}

func collect(ctx context.Context, env checks.Env, api API) (*State, error) {
	st := &State{AccountID: env.AccountID, Region: env.Region, Recorders: []*Recorder{}, DeliveryChannels: []string{}}
	recs, err := api.DescribeConfigurationRecorders(ctx, &configservice.DescribeConfigurationRecordersInput{})
	if err != nil {
		return nil, fmt.Errorf("config: describe recorders of %s in %s: %w", env.AccountID, env.Region, err)
	}
	byName := map[string]*Recorder{}
	for _, r := range recs.ConfigurationRecorders {
		rec := &Recorder{Name: aws.ToString(r.Name), RoleARN: aws.ToString(r.RoleARN)}
		if g := r.RecordingGroup; g != nil {
			rec.AllSupported, rec.GlobalResources = g.AllSupported, g.IncludeGlobalResourceTypes
		}
		byName[rec.Name] = rec
		st.Recorders = append(st.Recorders, rec)
	}
	stats, err := api.DescribeConfigurationRecorderStatus(ctx, &configservice.DescribeConfigurationRecorderStatusInput{})
	if err != nil {
		return nil, fmt.Errorf("config: describe recorder status of %s in %s: %w", env.AccountID, env.Region, err)
	}
	for _, s := range stats.ConfigurationRecordersStatus {
		if rec := byName[aws.ToString(s.Name)]; rec != nil {
			rec.Recording, rec.LastStatus = s.Recording, string(s.LastStatus)
		}
	}
	chans, err := api.DescribeDeliveryChannels(ctx, &configservice.DescribeDeliveryChannelsInput{})
	if err != nil {
		return nil, fmt.Errorf("config: describe delivery channels of %s in %s: %w", env.AccountID, env.Region, err)
	}
	for _, c := range chans.DeliveryChannels {
		st.DeliveryChannels = append(st.DeliveryChannels, aws.ToString(c.Name))
	}
	return st, nil
}

func regionARN(st *State) string {
	return "arn:aws:config:" + st.Region + ":" + st.AccountID + ":recorder"
}

// Checks lists the module's checks in the order they run.
var Checks = []checks.Check[*State]{
	{Meta: modkit.Meta(Name, checks.Meta{ID: "config_recorder_all_regions_enabled",
		Title:          "AWS Config records every resource in the region",
		Description:    "Passes a region with a configuration recorder that records all supported resource types, is recording, did not fail its last delivery, and has a delivery channel.",
		Risk:           "Without a configuration history, changes cannot be audited, investigated or evaluated by Config rules.",
		Remediation:    "Create a recorder for all supported resources, a delivery channel to an S3 bucket, and start recording in every region (or deploy it with a StackSet).",
		RemediationURL: "https://docs.aws.amazon.com/config/latest/developerguide/gs-console.html", Categories: []string{"logging"}}),
		Eval: func(st *State) []checks.Result {
			r := checks.Result{ResourceID: regionARN(st), ResourceName: "config recorder " + st.Region}
			switch {
			case len(st.Recorders) == 0:
				return []checks.Result{modkit.FailR(r, "No AWS Config recorder in %s.", st.Region)}
			}
			rec := st.Recorders[0]
			switch {
			case !rec.AllSupported:
				return []checks.Result{modkit.FailR(r, "Recorder %s in %s does not record all supported resource types.", rec.Name, st.Region)}
			case !rec.Recording:
				return []checks.Result{modkit.FailR(r, "Recorder %s in %s is stopped.", rec.Name, st.Region)}
			case rec.LastStatus == "FAILURE":
				return []checks.Result{modkit.FailR(r, "Recorder %s in %s failed its last recording.", rec.Name, st.Region)}
			case len(st.DeliveryChannels) == 0:
				return []checks.Result{modkit.FailR(r, "Recorder %s in %s has no delivery channel: configuration items are not delivered.", rec.Name, st.Region)}
			}
			return []checks.Result{modkit.Pass(r, "Recorder %s records all resources in %s and delivers to %s.", rec.Name, st.Region, st.DeliveryChannels[0])}
		}},
	{Meta: modkit.Meta(Name, checks.Meta{ID: "config_recorder_using_aws_service_role",
		Title:          "AWS Config recorders use the service-linked role",
		Description:    "Passes a recorder whose role is AWSServiceRoleForConfig; custom roles fail.",
		Risk:           "A custom recorder role can lose permissions or be over-privileged, breaking or widening recording.",
		Remediation:    "Update the recorder to use the AWSServiceRoleForConfig service-linked role.",
		RemediationURL: "https://docs.aws.amazon.com/config/latest/developerguide/using-service-linked-roles.html"}),
		Eval: func(st *State) []checks.Result {
			var out []checks.Result
			for _, rec := range st.Recorders {
				r := checks.Result{ResourceID: regionARN(st) + "/" + rec.Name, ResourceName: rec.Name}
				out = append(out, modkit.Verdict(r, strings.HasSuffix(rec.RoleARN, "/AWSServiceRoleForConfig"),
					"Recorder "+rec.Name+" uses the service-linked role.", "Recorder "+rec.Name+" uses custom role "+rec.RoleARN+"."))
			}
			return out
		}},
}
