package compute

import (
	"time"

	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// State is the compute inventory of one account in one region: the raw
// evidence of a scan unit. Errors records, per collection part, why it
// could not be read.
type State struct {
	AccountID string       `json:"account_id"`
	Region    string       `json:"region"`
	Instances []*Instance  `json:"instances"`
	Volumes   []*Volume    `json:"volumes"`
	Snapshots []*Snapshot  `json:"snapshots"`
	Images    []*Image     `json:"images"`
	Account   AccountState `json:"account"`

	Errors map[string]*modkit.AttrError `json:"errors,omitempty"`
}

// Collection parts.
const (
	partInstances     = "instances"
	partVolumes       = "volumes"
	partSnapshots     = "snapshots"
	partSnapshotPerms = "snapshot_permissions"
	partImages        = "images"
	partEBSDefault    = "ebs_encryption_by_default"
	partIMDSDefaults  = "instance_metadata_defaults"
	partSnapshotBlock = "snapshot_block_public_access"
	partImageBlock    = "image_block_public_access"
)

// AccountState is the region's account-level EC2 settings.
type AccountState struct {
	EBSEncryptionByDefault    bool   `json:"ebs_encryption_by_default"`
	IMDSHttpTokens            string `json:"imds_http_tokens,omitempty"` // "" = no preference
	SnapshotBlockPublicAccess string `json:"snapshot_block_public_access"`
	ImageBlockPublicAccess    string `json:"image_block_public_access"`
}

// Instance is one EC2 instance (terminated ones are dropped).
type Instance struct {
	ID                 string            `json:"id"`
	ARN                string            `json:"arn"`
	Type               string            `json:"type"`
	State              string            `json:"state"`
	LaunchAgeDays      int               `json:"launch_age_days"`
	LaunchedAt         *time.Time        `json:"launched_at,omitempty"`
	PublicIP           string            `json:"public_ip,omitempty"`
	InstanceProfile    string            `json:"instance_profile,omitempty"`
	HTTPTokens         string            `json:"http_tokens"`
	HTTPEndpoint       string            `json:"http_endpoint"`
	DetailedMonitoring bool              `json:"detailed_monitoring"`
	Virtualization     string            `json:"virtualization"`
	NetworkInterfaces  int               `json:"network_interfaces"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// Volume is one EBS volume.
type Volume struct {
	ID        string            `json:"id"`
	ARN       string            `json:"arn"`
	Encrypted bool              `json:"encrypted"`
	State     string            `json:"state"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// Snapshot is one EBS snapshot owned by the account.
type Snapshot struct {
	ID        string            `json:"id"`
	ARN       string            `json:"arn"`
	VolumeID  string            `json:"volume_id"`
	Encrypted bool              `json:"encrypted"`
	Public    bool              `json:"public"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// Image is one AMI owned by the account.
type Image struct {
	ID     string            `json:"id"`
	ARN    string            `json:"arn"`
	Name   string            `json:"name"`
	Public bool              `json:"public"`
	Tags   map[string]string `json:"tags,omitempty"`
}
