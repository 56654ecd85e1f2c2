// Package cost is Rampart's cost-hygiene scanner module: one region's
// unattached EBS volumes, idle Elastic IPs, old and orphaned snapshots,
// instances stopped for long or with volumes still attached, and
// previous-generation volume and instance types. Findings carry Prowler's
// service, ec2. A part that cannot be read makes only the checks that need
// it NOT_EVALUATED. It runs once per account and region.
package cost

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
	"github.com/rampart-cspm/rampart/checks/internal/prowlerfacts"
)

// Name is the module's name.
const Name = "cost"

// Thresholds.
const (
	MaxStoppedDays     = 30  // Prowler's default for stopped instances
	MaxSnapshotAgeDays = 365 // snapshots older than a year are reviewed
)

// API is the part of the EC2 client the cost collector calls.
type API interface {
	DescribeInstances(ctx context.Context, in *awsec2.DescribeInstancesInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeInstancesOutput, error)
	DescribeVolumes(ctx context.Context, in *awsec2.DescribeVolumesInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeVolumesOutput, error)
	DescribeSnapshots(ctx context.Context, in *awsec2.DescribeSnapshotsInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeSnapshotsOutput, error)
	DescribeAddresses(ctx context.Context, in *awsec2.DescribeAddressesInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeAddressesOutput, error)
}

var _ API = (*awsec2.Client)(nil)

// State is the cost-relevant inventory of one account in one region.
type State struct {
	AccountID string                       `json:"account_id"`
	Region    string                       `json:"region"`
	Instances []*Instance                  `json:"instances"`
	Volumes   []*Volume                    `json:"volumes"`
	Snapshots []*Snapshot                  `json:"snapshots"`
	Addresses []*Address                   `json:"addresses"`
	Errors    map[string]*modkit.AttrError `json:"errors,omitempty"`
}

// Instance is one non-terminated instance.
type Instance struct {
	ID          string            `json:"id"`
	ARN         string            `json:"arn"`
	Type        string            `json:"type"`
	State       string            `json:"state"`
	StoppedDays int               `json:"stopped_days,omitempty"` // -1 when the stop time is unknown
	StoppedAt   *time.Time        `json:"stopped_at,omitempty"`
	Volumes     []string          `json:"volumes,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// Volume is one EBS volume.
type Volume struct {
	ID      string            `json:"id"`
	ARN     string            `json:"arn"`
	Type    string            `json:"type"`
	SizeGiB int               `json:"size_gib"`
	State   string            `json:"state"`
	Tags    map[string]string `json:"tags,omitempty"`
}

// Snapshot is one EBS snapshot owned by the account.
type Snapshot struct {
	ID        string            `json:"id"`
	ARN       string            `json:"arn"`
	VolumeID  string            `json:"volume_id"`
	AgeDays   int               `json:"age_days"`
	CreatedAt *time.Time        `json:"created_at,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// Address is one Elastic IP.
type Address struct {
	AllocationID string            `json:"allocation_id"`
	ARN          string            `json:"arn"`
	PublicIP     string            `json:"public_ip"`
	Associated   bool              `json:"associated"`
	Tags         map[string]string `json:"tags,omitempty"`
}

const (
	partInstances = "instances"
	partVolumes   = "volumes"
	partSnapshots = "snapshots"
	partAddresses = "addresses"
)

func tagMap(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// stopTime matches the date EC2 puts in a stopped instance's state
// transition reason: "User initiated (2024-01-02 03:04:05 GMT)".
var stopTime = regexp.MustCompile(`\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) GMT\)`)

func collect(ctx context.Context, env checks.Env, api API) *State {
	st := &State{AccountID: env.AccountID, Region: env.Region, Instances: []*Instance{}, Volumes: []*Volume{}, Snapshots: []*Snapshot{}, Addresses: []*Address{}}
	now := time.Now
	if env.Now != nil {
		now = env.Now
	}
	fail := func(part string, err error) {
		if st.Errors == nil {
			st.Errors = map[string]*modkit.AttrError{}
		}
		st.Errors[part] = modkit.NewAttrError(env, fmt.Errorf("ec2: %s of %s in %s: %w", part, env.AccountID, env.Region, err))
	}
	arn := func(kind, id string) string {
		return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", env.Region, env.AccountID, kind, id)
	}
	days := func(t time.Time) int { return int(now().Sub(t).Hours() / 24) }
	var tok *string
	for {
		out, err := api.DescribeInstances(ctx, &awsec2.DescribeInstancesInput{NextToken: tok})
		if err != nil {
			fail(partInstances, err)
			break
		}
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				if in.State == nil || in.State.Name == types.InstanceStateNameTerminated {
					continue
				}
				id := aws.ToString(in.InstanceId)
				x := &Instance{ID: id, ARN: arn("instance", id), Type: string(in.InstanceType), State: string(in.State.Name), Tags: tagMap(in.Tags)}
				if in.State.Name == types.InstanceStateNameStopped {
					x.StoppedDays = -1
					if m := stopTime.FindStringSubmatch(aws.ToString(in.StateTransitionReason)); m != nil {
						if t, err := time.Parse("2006-01-02 15:04:05", m[1]); err == nil {
							x.StoppedDays, x.StoppedAt = days(t), &t
						}
					}
				}
				for _, b := range in.BlockDeviceMappings {
					if b.Ebs != nil {
						x.Volumes = append(x.Volumes, aws.ToString(b.Ebs.VolumeId))
					}
				}
				st.Instances = append(st.Instances, x)
			}
		}
		if tok = out.NextToken; aws.ToString(tok) == "" {
			break
		}
	}
	tok = nil
	for {
		out, err := api.DescribeVolumes(ctx, &awsec2.DescribeVolumesInput{NextToken: tok})
		if err != nil {
			fail(partVolumes, err)
			break
		}
		for _, v := range out.Volumes {
			id := aws.ToString(v.VolumeId)
			st.Volumes = append(st.Volumes, &Volume{ID: id, ARN: arn("volume", id), Type: string(v.VolumeType), SizeGiB: int(aws.ToInt32(v.Size)), State: string(v.State), Tags: tagMap(v.Tags)})
		}
		if tok = out.NextToken; aws.ToString(tok) == "" {
			break
		}
	}
	tok = nil
	for {
		out, err := api.DescribeSnapshots(ctx, &awsec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, NextToken: tok})
		if err != nil {
			fail(partSnapshots, err)
			break
		}
		for _, s := range out.Snapshots {
			id := aws.ToString(s.SnapshotId)
			x := &Snapshot{ID: id, ARN: arn("snapshot", id), VolumeID: aws.ToString(s.VolumeId), Tags: tagMap(s.Tags)}
			if s.StartTime != nil {
				x.AgeDays, x.CreatedAt = days(*s.StartTime), s.StartTime
			}
			st.Snapshots = append(st.Snapshots, x)
		}
		if tok = out.NextToken; aws.ToString(tok) == "" {
			break
		}
	}
	if out, err := api.DescribeAddresses(ctx, &awsec2.DescribeAddressesInput{}); err != nil {
		fail(partAddresses, err)
	} else {
		for _, a := range out.Addresses {
			id := aws.ToString(a.AllocationId)
			st.Addresses = append(st.Addresses, &Address{AllocationID: id, ARN: arn("elastic-ip", id), PublicIP: aws.ToString(a.PublicIp),
				Associated: aws.ToString(a.AssociationId) != "" || aws.ToString(a.InstanceId) != "" || aws.ToString(a.NetworkInterfaceId) != "", Tags: tagMap(a.Tags)})
		}
	}
	return st
}

func meta(m checks.Meta) checks.Meta {
	m.Module, m.Service = Name, "ec2"
	if m.Categories == nil {
		m.Categories = []string{"cost-hygiene"}
	}
	return prowlerfacts.Fill(m)
}

func res(id, arn string, tags map[string]string, ok bool, format string, args ...any) checks.Result {
	r := checks.Result{ResourceID: arn, ResourceName: id, Tags: tags, Status: rampart.StatusFail, StatusExtended: fmt.Sprintf(format, args...)}
	if ok {
		r.Status = rampart.StatusPass
	}
	return r
}

type check struct {
	checks.Check[*State]
	needs []string
}

// previousGenVolume are EBS types with a cheaper, faster successor.
var previousGenVolume = map[string]string{"gp2": "gp3", "io1": "io2", "standard": "gp3"}

// previousGenFamily matches instance families AWS lists as previous
// generation.
var previousGenFamily = regexp.MustCompile(`^(t1|t2|m1|m2|m3|m4|c1|c3|c4|r3|r4|i2|d2|g2|x1|p2)\.`)

func allChecks() []check {
	const ebsDocs = "https://docs.aws.amazon.com/ebs/latest/userguide/"
	const ec2Docs = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
	return []check{
		{needs: []string{partAddresses}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_elastic_ip_unassigned", Title: "Elastic IPs are associated",
			Description: "Fails an Elastic IP associated with no instance or network interface.",
			Risk:        "Idle Elastic IPs are billed by the hour and may still be trusted by partners' allow-lists.",
			Remediation: "Release Elastic IPs that nothing uses.", RemediationURL: ec2Docs + "elastic-ip-addresses-eip.html",
		}), Eval: func(st *State) []checks.Result {
			out := make([]checks.Result, 0, len(st.Addresses))
			for _, a := range st.Addresses {
				out = append(out, res(a.PublicIP, a.ARN, a.Tags, a.Associated, "Elastic IP %s (%s) associated: %v.", a.PublicIP, a.AllocationID, a.Associated))
			}
			return out
		}}},
		{needs: []string{partInstances}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_stopped_older_than_specific_days", Title: fmt.Sprintf("Instances are not stopped for more than %d days", MaxStoppedDays),
			Description: fmt.Sprintf("Fails an instance stopped more than %d days ago.", MaxStoppedDays),
			Risk:        "Long-stopped instances keep paying for storage and come back unpatched when restarted.",
			Remediation: "Snapshot what must be kept and terminate the instance.", RemediationURL: ec2Docs + "Stop_Start.html",
		}), Eval: func(st *State) []checks.Result {
			var out []checks.Result
			for _, in := range st.Instances {
				if in.State != "stopped" {
					continue
				}
				if in.StoppedDays < 0 {
					r := res(in.ID, in.ARN, in.Tags, false, "Instance %s is stopped since an unknown date.", in.ID)
					r.Status, r.ErrorClass = rampart.StatusNotEvaluated, rampart.ErrClassServiceError
					out = append(out, r)
					continue
				}
				out = append(out, res(in.ID, in.ARN, in.Tags, in.StoppedDays <= MaxStoppedDays, "Instance %s was stopped %s (limit %d days).", in.ID, when(in.StoppedAt, in.StoppedDays), MaxStoppedDays))
			}
			return out
		}}},
		{needs: []string{partVolumes}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ebs_volume_unattached", Title: "EBS volumes are attached",
			Description: "Fails an EBS volume in the available state (attached to nothing).",
			Risk:        "Unattached volumes are billed in full and often hold data nobody remembers.",
			Remediation: "Snapshot the volume if its data matters, then delete it.", RemediationURL: ebsDocs + "ebs-deleting-volume.html",
			ResourceType: "AwsEc2Volume", Severity: rampart.SeverityLow,
		}), Eval: func(st *State) []checks.Result {
			out := make([]checks.Result, 0, len(st.Volumes))
			for _, v := range st.Volumes {
				out = append(out, res(v.ID, v.ARN, v.Tags, v.State != "available", "Volume %s (%d GiB) is %s.", v.ID, v.SizeGiB, v.State))
			}
			return out
		}}},
		{needs: []string{partVolumes}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ebs_volume_previous_generation_type", Title: "EBS volumes use current-generation types",
			Description: "Fails a volume of type gp2, io1 or standard, which have cheaper current-generation successors (gp3, io2).",
			Risk:        "Previous-generation volumes cost up to 20% more for the same or lower performance.",
			Remediation: "Modify the volume type in place (gp2 to gp3, io1 to io2); no downtime is needed.", RemediationURL: ebsDocs + "requesting-ebs-volume-modifications.html",
			ResourceType: "AwsEc2Volume", Severity: rampart.SeverityLow,
		}), Eval: func(st *State) []checks.Result {
			out := make([]checks.Result, 0, len(st.Volumes))
			for _, v := range st.Volumes {
				if next, old := previousGenVolume[v.Type]; old {
					out = append(out, res(v.ID, v.ARN, v.Tags, false, "Volume %s is %s; %s is cheaper.", v.ID, v.Type, next))
				} else {
					out = append(out, res(v.ID, v.ARN, v.Tags, true, "Volume %s is %s.", v.ID, v.Type))
				}
			}
			return out
		}}},
		{needs: []string{partSnapshots}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ebs_snapshot_older_than_specific_days", Title: fmt.Sprintf("EBS snapshots are younger than %d days", MaxSnapshotAgeDays),
			Description: fmt.Sprintf("Fails a snapshot created more than %d days ago.", MaxSnapshotAgeDays),
			Risk:        "Old snapshots accumulate storage cost and data past its retention period.",
			Remediation: "Apply a lifecycle policy with a retention period and delete snapshots past it.", RemediationURL: ebsDocs + "snapshot-lifecycle.html",
			ResourceType: "AwsEc2Snapshot", Severity: rampart.SeverityLow,
		}), Eval: func(st *State) []checks.Result {
			out := make([]checks.Result, 0, len(st.Snapshots))
			for _, s := range st.Snapshots {
				out = append(out, res(s.ID, s.ARN, s.Tags, s.AgeDays <= MaxSnapshotAgeDays, "Snapshot %s was created %s (limit %d days).", s.ID, when(s.CreatedAt, s.AgeDays), MaxSnapshotAgeDays))
			}
			return out
		}}},
		{needs: []string{partSnapshots, partVolumes}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ebs_snapshot_orphaned", Title: "EBS snapshots belong to an existing volume",
			Description: "Fails a snapshot whose source volume no longer exists in the region.",
			Risk:        "Snapshots of deleted volumes are forgotten backups: billed, unowned, and possibly holding sensitive data.",
			Remediation: "Confirm with the owner whether the snapshot is still needed; delete it or tag its retention.", RemediationURL: ebsDocs + "ebs-deleting-snapshot.html",
			ResourceType: "AwsEc2Snapshot", Severity: rampart.SeverityLow,
		}), Eval: func(st *State) []checks.Result {
			have := map[string]bool{}
			for _, v := range st.Volumes {
				have[v.ID] = true
			}
			out := make([]checks.Result, 0, len(st.Snapshots))
			for _, s := range st.Snapshots {
				out = append(out, res(s.ID, s.ARN, s.Tags, have[s.VolumeID], "Snapshot %s's source volume %s exists: %v.", s.ID, s.VolumeID, have[s.VolumeID]))
			}
			return out
		}}},
		{needs: []string{partInstances}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_stopped_with_attached_volumes", Title: "Stopped instances have no EBS volumes attached",
			Description: "Fails a stopped instance that still has EBS volumes attached (storage is billed while it is stopped).",
			Risk:        "Stopped instances keep paying for their volumes indefinitely.",
			Remediation: "Terminate instances that are no longer needed, or snapshot and detach their data volumes.", RemediationURL: ec2Docs + "Stop_Start.html",
			ResourceType: "AwsEc2Instance", Severity: rampart.SeverityLow,
		}), Eval: func(st *State) []checks.Result {
			var out []checks.Result
			for _, in := range st.Instances {
				if in.State != "stopped" {
					continue
				}
				out = append(out, res(in.ID, in.ARN, in.Tags, len(in.Volumes) == 0, "Stopped instance %s has %d volumes attached.", in.ID, len(in.Volumes)))
			}
			return out
		}}},
		{needs: []string{partInstances}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_previous_generation_type", Title: "Instances use current-generation types",
			Description: "Fails an instance of a previous-generation family (t2, m4, c4, r4, ...).",
			Risk:        "Previous-generation instances cost more per unit of compute and lack newer security features (Nitro).",
			Remediation: "Move the instance to the current generation of its family (for example m4 to m7i or m7g).", RemediationURL: "https://aws.amazon.com/ec2/previous-generation/",
			ResourceType: "AwsEc2Instance", Severity: rampart.SeverityLow,
		}), Eval: func(st *State) []checks.Result {
			out := make([]checks.Result, 0, len(st.Instances))
			for _, in := range st.Instances {
				out = append(out, res(in.ID, in.ARN, in.Tags, !previousGenFamily.MatchString(in.Type), "Instance %s is %s.", in.ID, in.Type))
			}
			return out
		}}},
	}
}

// Module is the cost-hygiene scanner module.
type Module struct {
	api    func(env checks.Env) API
	checks []check
}

var _ checks.Module = (*Module)(nil)

// Option configures a Module.
type Option func(*Module)

// WithAPI makes the module call api instead of an SDK client.
func WithAPI(api API) Option { return func(m *Module) { m.api = func(checks.Env) API { return api } } }

// New returns the cost module.
func New(opts ...Option) *Module {
	m := &Module{checks: allChecks(), api: func(env checks.Env) API {
		return awsec2.NewFromConfig(env.Config, func(o *awsec2.Options) {
			if env.Region != "" {
				o.Region = env.Region
			}
		})
	}}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Name returns "cost".
func (m *Module) Name() string { return Name }

// Scope returns checks.ScopeRegional.
func (m *Module) Scope() checks.Scope { return checks.ScopeRegional }

// Checks returns the metadata of the module's checks.
func (m *Module) Checks() []checks.Meta {
	out := make([]checks.Meta, len(m.checks))
	for i, c := range m.checks {
		out[i] = c.Meta
	}
	return out
}

// Run collects the region's inventory and evaluates the selected checks.
func (m *Module) Run(ctx context.Context, env checks.Env, selected func(string) bool) checks.ModuleResult {
	st := collect(ctx, env, m.api(env))
	if len(st.Errors) == 4 {
		return modkit.Fail(env, Name, m.Checks(), selected, errors.New(st.Errors[partInstances].Message))
	}
	account := modkit.AccountARN(env.AccountID)
	var out []checks.CheckOutcome
	for _, c := range m.checks {
		if selected != nil && !selected(c.Meta.ID) {
			continue
		}
		var failed []string
		for _, n := range c.needs {
			if st.Errors[n] != nil {
				failed = append(failed, n)
			}
		}
		if len(failed) > 0 {
			sort.Strings(failed)
			e := st.Errors[failed[0]]
			out = append(out, checks.NotEvaluated(c.Meta, account, e.Class, errors.New(strings.Join(failed, ", ")+": "+e.Message)))
			continue
		}
		out = append(out, checks.RunChecks(st, []checks.Check[*State]{c.Check}, nil, account)...)
	}
	return modkit.Finish(Name, out, st)
}

// when says when something happened for a row's text: its date, which
// stays the same from one scan to the next (an age in days would change
// the row every day, recorded as a changed event), or, when only the age
// is known, the age.
func when(t *time.Time, ageDays int) string {
	if t != nil {
		return "on " + t.UTC().Format("2006-01-02")
	}
	return fmt.Sprintf("%d days ago", ageDays)
}
