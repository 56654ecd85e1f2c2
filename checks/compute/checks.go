package compute

import (
	"fmt"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
	"github.com/rampart-cspm/rampart/checks/internal/prowlerfacts"
)

const ec2Docs = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"

// MaxInstanceAgeDays is the age above which a running instance fails
// ec2_instance_older_than_specific_days (Prowler's default).
const MaxInstanceAgeDays = 180

// check is a compute check with the collection parts it reads.
type check struct {
	checks.Check[*State]
	needs []string
}

func meta(m checks.Meta) checks.Meta {
	m.Module, m.Service = Name, "ec2"
	return prowlerfacts.Fill(m)
}

func res(id, arn string, tags map[string]string, ok bool, format string, args ...any) checks.Result {
	r := checks.Result{ResourceID: arn, ResourceName: id, Tags: tags, Status: rampart.StatusFail, StatusExtended: fmt.Sprintf(format, args...)}
	if ok {
		r.Status = rampart.StatusPass
	}
	return r
}

// perInstance evaluates ok on every instance (running and stopped).
func perInstance(ok func(*Instance) (bool, string)) func(*State) []checks.Result {
	return func(st *State) []checks.Result {
		out := make([]checks.Result, 0, len(st.Instances))
		for _, in := range st.Instances {
			pass, why := ok(in)
			out = append(out, res(in.ID, in.ARN, in.Tags, pass, "Instance %s %s.", in.ID, why))
		}
		return out
	}
}

func account(st *State, ok bool, format string, args ...any) []checks.Result {
	r := res(st.AccountID, modkit.AccountARN(st.AccountID), nil, ok, format, args...)
	r.ResourceType = "AwsAccount"
	return []checks.Result{r}
}

func allChecks() []check {
	inst := []string{partInstances}
	return []check{
		{needs: inst, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_imdsv2_enabled", Title: "Instances require IMDSv2",
			Description:    "Fails an instance whose metadata service is enabled and accepts IMDSv1 requests (HttpTokens optional).",
			Risk:           "IMDSv1 lets a server-side request forgery read the instance role's credentials.",
			Remediation:    "Set HttpTokens to required on the instance (modify-instance-metadata-options) and in launch templates.",
			RemediationURL: ec2Docs + "configuring-IMDS-existing-instances.html", Categories: []string{"ec2-imdsv2"},
		}), Eval: perInstance(func(in *Instance) (bool, string) {
			if in.HTTPEndpoint == "disabled" {
				return true, "has the metadata service disabled"
			}
			return in.HTTPTokens == "required", "has HttpTokens " + in.HTTPTokens
		})}},
		{needs: inst, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_public_ip", Title: "Instances have no public IP address",
			Description:    "Fails an instance with a public IPv4 address.",
			Risk:           "An instance with a public address is one security group mistake away from the internet.",
			Remediation:    "Place instances in private subnets behind load balancers or NAT, and release public addresses.",
			RemediationURL: ec2Docs + "using-instance-addressing.html", Categories: []string{"internet-exposed"},
		}), Eval: perInstance(func(in *Instance) (bool, string) {
			if in.PublicIP != "" {
				return false, "has public IP " + in.PublicIP
			}
			return true, "has no public IP"
		})}},
		{needs: inst, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_profile_attached", Title: "Instances use an instance profile",
			Description:    "Fails an instance without an IAM instance profile.",
			Risk:           "Instances without a role tend to carry long-lived access keys on disk instead.",
			Remediation:    "Attach an instance profile with a least-privilege role and remove stored keys.",
			RemediationURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html",
		}), Eval: perInstance(func(in *Instance) (bool, string) {
			if in.InstanceProfile == "" {
				return false, "has no instance profile"
			}
			return true, "uses instance profile " + in.InstanceProfile
		})}},
		{needs: inst, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_detailed_monitoring_enabled", Title: "Instances have detailed monitoring",
			Description:    "Fails an instance without one-minute CloudWatch metrics.",
			Risk:           "Five-minute metrics hide short spikes and delay alarms during incidents.",
			Remediation:    "Enable detailed monitoring on the instance.",
			RemediationURL: ec2Docs + "manage-detailed-monitoring.html",
		}), Eval: perInstance(func(in *Instance) (bool, string) {
			if in.DetailedMonitoring {
				return true, "has detailed monitoring"
			}
			return false, "has basic monitoring only"
		})}},
		{needs: inst, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_older_than_specific_days", Title: fmt.Sprintf("Running instances are younger than %d days", MaxInstanceAgeDays),
			Description:    fmt.Sprintf("Fails a running instance launched more than %d days ago. Stopped instances are out of scope.", MaxInstanceAgeDays),
			Risk:           "Long-lived instances drift from the golden image and miss patches that a rebuild would bring.",
			Remediation:    "Rebuild the instance from a current image, or automate replacement.",
			RemediationURL: ec2Docs + "ec2-instance-lifecycle.html",
		}), Eval: func(st *State) []checks.Result {
			var out []checks.Result
			for _, in := range st.Instances {
				if in.State != "running" {
					continue
				}
				out = append(out, res(in.ID, in.ARN, in.Tags, in.LaunchAgeDays <= MaxInstanceAgeDays, "Instance %s was launched %s (limit %d days).", in.ID, launched(in), MaxInstanceAgeDays))
			}
			return out
		}}},
		{needs: inst, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_internet_facing_with_instance_profile", Title: "Internet-facing instances carry no instance profile",
			Description:    "Fails an instance with a public IP and an IAM instance profile.",
			Risk:           "A compromise of an internet-facing host hands the attacker the role's permissions.",
			Remediation:    "Move the instance behind a load balancer, or drop the role's permissions to the strict minimum.",
			RemediationURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html", Categories: []string{"internet-exposed"},
		}), Eval: perInstance(func(in *Instance) (bool, string) {
			if in.PublicIP != "" && in.InstanceProfile != "" {
				return false, "is internet-facing (" + in.PublicIP + ") with instance profile " + in.InstanceProfile
			}
			return true, "is not both internet-facing and given a role"
		})}},
		{needs: inst, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_paravirtual_type", Title: "Instances use HVM virtualization",
			Description:    "Fails an instance with paravirtual (PV) virtualization.",
			Risk:           "PV instances run on retired hardware generations and lack current security features.",
			Remediation:    "Migrate the workload to an HVM image and a current instance type.",
			RemediationURL: ec2Docs + "virtualization_types.html",
		}), Eval: perInstance(func(in *Instance) (bool, string) {
			return in.Virtualization != "paravirtual", "uses " + in.Virtualization + " virtualization"
		})}},
		{needs: []string{partVolumes}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ebs_volume_encryption", Title: "EBS volumes are encrypted",
			Description:    "Fails an EBS volume that is not encrypted.",
			Risk:           "Data on unencrypted volumes and their snapshots is readable by anyone who obtains a copy.",
			Remediation:    "Copy the volume through an encrypted snapshot and replace it; enable EBS encryption by default.",
			RemediationURL: "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html", Categories: []string{"encryption"},
		}), Eval: func(st *State) []checks.Result {
			out := make([]checks.Result, 0, len(st.Volumes))
			for _, v := range st.Volumes {
				out = append(out, res(v.ID, v.ARN, v.Tags, v.Encrypted, "Volume %s encrypted: %v.", v.ID, v.Encrypted))
			}
			return out
		}}},
		{needs: []string{partEBSDefault}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ebs_default_encryption", Title: "EBS encryption by default is on in the region",
			Description:    "Fails a region where new EBS volumes are not encrypted by default.",
			Risk:           "Every volume someone forgets to encrypt is stored in clear.",
			Remediation:    "Enable EBS encryption by default in every region (EC2 console, account attributes).",
			RemediationURL: "https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html", Categories: []string{"encryption"},
		}), Eval: func(st *State) []checks.Result {
			return account(st, st.Account.EBSEncryptionByDefault, "EBS encryption by default in %s: %v.", st.Region, st.Account.EBSEncryptionByDefault)
		}}},
		{needs: []string{partSnapshots, partSnapshotPerms}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ebs_public_snapshot", Title: "EBS snapshots are not public",
			Description:    "Fails a snapshot whose create-volume permission includes the group all.",
			Risk:           "Anyone with an AWS account can create a volume from a public snapshot and read its data.",
			Remediation:    "Remove the all group from the snapshot's create-volume permissions; block public access to snapshots.",
			RemediationURL: "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html", Categories: []string{"internet-exposed"},
		}), Eval: func(st *State) []checks.Result {
			out := make([]checks.Result, 0, len(st.Snapshots))
			for _, s := range st.Snapshots {
				if s.Public {
					out = append(out, res(s.ID, s.ARN, s.Tags, false, "Snapshot %s is public.", s.ID))
				} else {
					out = append(out, res(s.ID, s.ARN, s.Tags, true, "Snapshot %s is not public.", s.ID))
				}
			}
			return out
		}}},
		{needs: []string{partSnapshots}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ebs_snapshots_encrypted", Title: "EBS snapshots are encrypted",
			Description:    "Fails a snapshot that is not encrypted.",
			Risk:           "Unencrypted snapshots expose the data to anyone they are shared with or who copies them.",
			Remediation:    "Copy the snapshot with encryption enabled and delete the clear one.",
			RemediationURL: "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html", Categories: []string{"encryption"},
		}), Eval: func(st *State) []checks.Result {
			out := make([]checks.Result, 0, len(st.Snapshots))
			for _, s := range st.Snapshots {
				out = append(out, res(s.ID, s.ARN, s.Tags, s.Encrypted, "Snapshot %s encrypted: %v.", s.ID, s.Encrypted))
			}
			return out
		}}},
		{needs: []string{partVolumes, partSnapshots}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ebs_volume_snapshots_exists", Title: "EBS volumes have a snapshot",
			Description:    "Fails a volume with no snapshot owned by the account.",
			Risk:           "Without a snapshot, a deleted or corrupted volume cannot be restored.",
			Remediation:    "Protect the volume with a backup plan or Data Lifecycle Manager policy.",
			RemediationURL: "https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lifecycle.html", Categories: []string{"resilience"},
		}), Eval: func(st *State) []checks.Result {
			has := map[string]bool{}
			for _, s := range st.Snapshots {
				has[s.VolumeID] = true
			}
			out := make([]checks.Result, 0, len(st.Volumes))
			for _, v := range st.Volumes {
				out = append(out, res(v.ID, v.ARN, v.Tags, has[v.ID], "Volume %s has a snapshot: %v.", v.ID, has[v.ID]))
			}
			return out
		}}},
		{needs: []string{partImages}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ami_public", Title: "AMIs are not public",
			Description:    "Fails an AMI owned by the account that is shared publicly.",
			Risk:           "A public image exposes whatever was baked in: code, configuration, sometimes credentials.",
			Remediation:    "Make the image private and share it with specific accounts or the organization.",
			RemediationURL: ec2Docs + "sharingamis-intro.html", Categories: []string{"internet-exposed"},
		}), Eval: func(st *State) []checks.Result {
			out := make([]checks.Result, 0, len(st.Images))
			for _, im := range st.Images {
				out = append(out, res(im.ID, im.ARN, im.Tags, !im.Public, "Image %s (%s) public: %v.", im.ID, im.Name, im.Public))
			}
			return out
		}}},
		{needs: []string{partIMDSDefaults}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_instance_account_imdsv2_enabled", Title: "The region's instance metadata default requires IMDSv2",
			Description:    "Fails a region whose account-level instance metadata defaults do not set HttpTokens to required.",
			Risk:           "New instances launched without explicit options accept IMDSv1.",
			Remediation:    "Set the account's instance metadata defaults to HttpTokens required in every region.",
			RemediationURL: ec2Docs + "configuring-IMDS-new-instances.html", Categories: []string{"ec2-imdsv2"},
		}), Eval: func(st *State) []checks.Result {
			t := st.Account.IMDSHttpTokens
			if t == "" {
				t = "no preference"
			}
			return account(st, st.Account.IMDSHttpTokens == "required", "Instance metadata default HttpTokens in %s: %s.", st.Region, t)
		}}},
		{needs: []string{partSnapshotBlock}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ebs_snapshot_account_block_public_access", Title: "Public sharing of EBS snapshots is blocked in the region",
			Description:    "Fails a region where block public access for snapshots is not block-all-sharing.",
			Risk:           "A single permission change can publish a snapshot and its data.",
			Remediation:    "Enable block public access for snapshots with block-all-sharing.",
			RemediationURL: "https://docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html", Categories: []string{"internet-exposed"},
		}), Eval: func(st *State) []checks.Result {
			s := st.Account.SnapshotBlockPublicAccess
			return account(st, s == "block-all-sharing", "Snapshot block public access in %s: %s.", st.Region, s)
		}}},
		{needs: []string{partImageBlock}, Check: checks.Check[*State]{Meta: meta(checks.Meta{
			ID: "ec2_ami_account_block_public_access", Title: "Public sharing of AMIs is blocked in the region",
			Description:    "Fails a region where block public access for AMIs is not enabled.",
			Risk:           "A single permission change can publish an image and what was baked into it.",
			Remediation:    "Enable block public access for AMIs in every region.",
			RemediationURL: ec2Docs + "block-public-access-to-amis.html", Categories: []string{"internet-exposed"},
		}), Eval: func(st *State) []checks.Result {
			s := st.Account.ImageBlockPublicAccess
			return account(st, s == "block-new-sharing", "AMI block public access in %s: %s.", st.Region, s)
		}}},
	}
}

// launched says when an instance was launched for its row's text: the
// date, which stays the same from one scan to the next (an age in days
// would change the row every day, recorded as a changed event), or the
// age when only that is known.
func launched(in *Instance) string {
	if in.LaunchedAt != nil {
		return "on " + in.LaunchedAt.UTC().Format("2006-01-02")
	}
	return fmt.Sprintf("%d days ago", in.LaunchAgeDays)
}
