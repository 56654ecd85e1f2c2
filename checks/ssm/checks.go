package ssm

import (
	"fmt"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

const docs = "https://docs.aws.amazon.com/systems-manager/latest/userguide/"

func (st *State) instanceARN(id string) string {
	return "arn:aws:ec2:" + st.Region + ":" + st.AccountID + ":instance/" + id
}

func label(in *Instance) string {
	if in.Name != "" {
		return in.Name
	}
	return in.ID
}

// Checks lists the module's checks in the order they run.
var Checks = []checks.Check[*State]{
	{Meta: modkit.Meta(Name, checks.Meta{ID: "ec2_instance_managed_by_ssm",
		Title:          "EC2 instances are managed by Systems Manager",
		Description:    "Passes a running or stopped EC2 instance registered with SSM (reported by DescribeInstanceInformation).",
		Risk:           "Unmanaged instances escape patching, inventory and shell-less administration, and tend to be reached by SSH instead.",
		Remediation:    "Install or start the SSM Agent, attach an instance profile with AmazonSSMManagedInstanceCore, and allow it to reach the SSM endpoints.",
		RemediationURL: docs + "managed_instances.html"}),
		Eval: func(st *State) []checks.Result {
			var out []checks.Result
			for _, in := range st.Instances {
				r := checks.Result{ResourceID: st.instanceARN(in.ID), ResourceName: label(in), ResourceType: "AwsEc2Instance"}
				if st.ManagedErr != nil {
					out = append(out, modkit.NotEvaluated(r, "SSM registration", st.ManagedErr))
					continue
				}
				out = append(out, modkit.Verdict(r, in.Managed, fmt.Sprintf("Instance %s is managed by SSM.", label(in)),
					fmt.Sprintf("Instance %s is not managed by SSM.", label(in))))
			}
			return out
		}},
	{Meta: modkit.Meta(Name, checks.Meta{ID: "ssm_managed_compliant_patching",
		Title:          "SSM-managed instances comply with their patch baseline",
		Description:    "Fails a managed instance whose Patch compliance summary is NON_COMPLIANT; instances without patch data are not reported.",
		Risk:           "Missing security patches leave known vulnerabilities exploitable.",
		Remediation:    "Run AWS-RunPatchBaseline (Patch Manager) on the instance and schedule it with a maintenance window or patch policy.",
		RemediationURL: docs + "patch-manager.html", Categories: []string{"vulnerabilities"}}),
		Eval: func(st *State) []checks.Result {
			var out []checks.Result
			for _, in := range st.Instances {
				r := checks.Result{ResourceID: st.instanceARN(in.ID), ResourceName: label(in), ResourceType: "AwsEc2Instance"}
				if st.PatchErr != nil {
					out = append(out, modkit.NotEvaluated(r, "patch compliance", st.PatchErr))
					continue
				}
				switch in.Patch {
				case "COMPLIANT":
					out = append(out, modkit.Pass(r, "Instance %s is compliant with its patch baseline.", label(in)))
				case "NON_COMPLIANT":
					out = append(out, modkit.FailR(r, "Instance %s is missing patches (severity %s).", label(in), in.Severity))
				}
			}
			return out
		}},
	{Meta: modkit.Meta(Name, checks.Meta{ID: "ssm_documents_set_as_public",
		Title:          "SSM documents are not shared publicly",
		Description:    "Fails a document owned by the account that is shared with all AWS accounts.",
		Risk:           "Public documents disclose internal scripts, paths and sometimes credentials, and can be run by anyone.",
		Remediation:    "Modify the document's permission to remove \"all\" and share it with named accounts only; block public sharing at account level.",
		RemediationURL: docs + "documents-ssm-sharing.html", Categories: []string{"internet-exposed"}}),
		Eval: func(st *State) []checks.Result {
			var out []checks.Result
			for _, d := range st.Documents {
				r := checks.Result{ResourceID: "arn:aws:ssm:" + st.Region + ":" + st.AccountID + ":document/" + d.Name, ResourceName: d.Name}
				if d.AttrErr != nil {
					out = append(out, modkit.NotEvaluated(r, "sharing permission", d.AttrErr))
					continue
				}
				out = append(out, modkit.Verdict(r, !d.Public, "Document "+d.Name+" is not public.", "Document "+d.Name+" is shared with every AWS account."))
			}
			return out
		}},
}
