package awssim

import (
	"strconv"
)

// Compute resources: EBS volumes and snapshots, AMIs, Elastic IPs, and the
// account-level EC2 settings of a region (EBS encryption by default,
// instance metadata defaults, snapshot and AMI public-access blocks).

func init() {
	for op, h := range map[string]handler{
		"DescribeVolumes":                   (*Server).ec2DescribeVolumes,
		"DescribeSnapshots":                 (*Server).ec2DescribeSnapshots,
		"DescribeSnapshotAttribute":         (*Server).ec2DescribeSnapshotAttribute,
		"DescribeImages":                    (*Server).ec2DescribeImages,
		"DescribeAddresses":                 (*Server).ec2DescribeAddresses,
		"GetEbsEncryptionByDefault":         (*Server).ec2GetEbsEncryptionByDefault,
		"GetInstanceMetadataDefaults":       (*Server).ec2GetInstanceMetadataDefaults,
		"GetSnapshotBlockPublicAccessState": (*Server).ec2GetSnapshotBlockPublicAccessState,
		"GetImageBlockPublicAccessState":    (*Server).ec2GetImageBlockPublicAccessState,
	} {
		handlers["ec2"][op] = h
	}
}

// Volume is an EBS volume, attached to Instance (a name or ID) when set.
type Volume struct {
	ID             string            `yaml:"id"`
	Name           string            `yaml:"name"`
	SizeGiB        int               `yaml:"size_gib"` // default 8
	Type           string            `yaml:"type"`     // default gp3
	Encrypted      bool              `yaml:"encrypted"`
	Instance       string            `yaml:"instance"`
	Device         string            `yaml:"device"` // default /dev/xvda for the first volume of an instance
	CreatedDaysAgo int               `yaml:"created_days_ago"`
	Tags           map[string]string `yaml:"tags"`

	instanceID string
}

// Snapshot is an EBS snapshot of Volume (a name or ID in the region; an
// unknown reference is kept as a deleted volume's ID). Public shares it
// with everyone; SharedWith lists account IDs.
type Snapshot struct {
	ID             string            `yaml:"id"`
	Name           string            `yaml:"name"`
	Volume         string            `yaml:"volume"`
	Encrypted      bool              `yaml:"encrypted"`
	Public         bool              `yaml:"public"`
	SharedWith     []string          `yaml:"shared_with"`
	CreatedDaysAgo int               `yaml:"created_days_ago"`
	Tags           map[string]string `yaml:"tags"`

	volumeID string
	size     int
}

// Image is an AMI owned by the account.
type Image struct {
	ID             string            `yaml:"id"`
	Name           string            `yaml:"name"`
	Public         bool              `yaml:"public"`
	CreatedDaysAgo int               `yaml:"created_days_ago"`
	Tags           map[string]string `yaml:"tags"`
}

// Address is an Elastic IP, associated with Instance (a name or ID) when set.
type Address struct {
	AllocationID string            `yaml:"allocation_id"`
	PublicIP     string            `yaml:"public_ip"`
	Instance     string            `yaml:"instance"`
	Tags         map[string]string `yaml:"tags"`

	instanceID string
}

// ec2Compute validates and derives the compute resources of one region.
func (v *validator) ec2Compute(a *Account, region string, r *EC2Region, rp p,
	resolve func(map[string]string, string, string, p) string) {
	instances := map[string]string{}
	for _, in := range r.Instances {
		instances[in.ID] = in.ID
		if in.Name != "" {
			instances[in.Name] = in.ID
		}
	}
	switch r.IMDSDefault {
	case "", "required", "optional", "no-preference":
	default:
		v.errorf(rp.with("imds_http_tokens_default"), "imds_http_tokens_default must be required, optional or no-preference")
	}
	switch r.SnapshotBlockPublicAccess {
	case "":
		r.SnapshotBlockPublicAccess = "unblocked"
	case "unblocked", "block-all-sharing", "block-new-sharing":
	default:
		v.errorf(rp.with("snapshot_block_public_access"), "snapshot_block_public_access must be unblocked, block-all-sharing or block-new-sharing")
	}
	volumes := map[string]string{}
	sizes := map[string]int{}
	devices := map[string]int{}
	for i, x := range r.Volumes {
		xp := rp.with("volumes", i)
		if x == nil {
			v.errorf(xp, "empty volume")
			continue
		}
		if x.ID == "" {
			x.ID = derivedID("vol", a.ID, region, x.Name, strconv.Itoa(i))
		}
		if x.SizeGiB == 0 {
			x.SizeGiB = 8
		}
		if x.Type == "" {
			x.Type = "gp3"
		}
		x.instanceID = ""
		if x.Instance != "" {
			x.instanceID = resolve(instances, x.Instance, "instance", xp.with("instance"))
			if x.Device == "" {
				x.Device = "/dev/xvd" + string(rune('a'+devices[x.instanceID]))
			}
			devices[x.instanceID]++
		}
		v.name(volumes, x.Name, x.ID, xp)
		sizes[x.ID] = x.SizeGiB
	}
	for i, x := range r.Snapshots {
		xp := rp.with("snapshots", i)
		if x == nil {
			v.errorf(xp, "empty snapshot")
			continue
		}
		if x.ID == "" {
			x.ID = derivedID("snap", a.ID, region, x.Name, strconv.Itoa(i))
		}
		x.volumeID = volumes[x.Volume]
		if x.volumeID == "" {
			x.volumeID = x.Volume // a volume deleted since
			if x.volumeID == "" {
				x.volumeID = "vol-ffffffff"
			}
		}
		x.size = sizes[x.volumeID]
		if x.size == 0 {
			x.size = 8
		}
		for j, acct := range x.SharedWith {
			if !reAccountID.MatchString(acct) {
				v.errorf(xp.with("shared_with", j), "bad account id %q", acct)
			}
		}
	}
	for i, x := range r.Images {
		if x == nil {
			v.errorf(rp.with("images", i), "empty image")
			continue
		}
		if x.ID == "" {
			x.ID = derivedID("ami", a.ID, region, x.Name, strconv.Itoa(i))
		}
	}
	for i, x := range r.Addresses {
		xp := rp.with("addresses", i)
		if x == nil {
			v.errorf(xp, "empty address")
			continue
		}
		if x.AllocationID == "" {
			x.AllocationID = derivedID("eipalloc", a.ID, region, strconv.Itoa(i))
		}
		if x.PublicIP == "" {
			x.PublicIP = "198.51.100." + strconv.Itoa(10+i%240)
		}
		x.instanceID = ""
		if x.Instance != "" {
			x.instanceID = resolve(instances, x.Instance, "instance", xp.with("instance"))
		}
	}
}

// instanceVolumes returns the volumes attached to instance id.
func instanceVolumes(reg *EC2Region, id string) []*Volume {
	var out []*Volume
	for _, v := range reg.Volumes {
		if v.instanceID == id {
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) ec2DescribeVolumes(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "VolumeId")
	have := map[string]bool{}
	var out []*Volume
	for _, v := range reg.Volumes {
		have[v.ID] = true
		if !selected(ids, v.ID) {
			continue
		}
		status := "available"
		if v.instanceID != "" {
			status = "in-use"
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"volume-id": {v.ID}, "status": {status}, "encrypted": {strconv.FormatBool(v.Encrypted)},
			"attachment.instance-id": {v.instanceID}, "volume-type": {v.Type},
		}, nameTags(v.Name, v.Tags))
		if e != nil {
			return e
		}
		if ok {
			out = append(out, v)
		}
	}
	if e := checkIDs(ids, have, "InvalidVolume.NotFound", "volume"); e != nil {
		return e
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("volumeSet")
		for _, v := range out[lo:hi] {
			x.open("item")
			x.el("volumeId", v.ID)
			x.num("size", v.SizeGiB)
			x.el("snapshotId", "")
			x.el("availabilityZone", c.region()+"a")
			x.ts("createTime", s.daysAgo(v.CreatedDaysAgo))
			x.open("attachmentSet")
			if v.instanceID != "" {
				x.open("item")
				x.el("volumeId", v.ID)
				x.el("instanceId", v.instanceID)
				x.el("device", v.Device)
				x.el("status", "attached")
				x.ts("attachTime", s.daysAgo(v.CreatedDaysAgo))
				x.boolean("deleteOnTermination", true)
				x.close("item")
			}
			x.close("attachmentSet")
			x.el("status", map[bool]string{true: "in-use", false: "available"}[v.instanceID != ""])
			x.el("volumeType", v.Type)
			x.boolean("encrypted", v.Encrypted)
			if v.Encrypted {
				x.el("kmsKeyId", "arn:aws:kms:"+c.region()+":"+c.account.ID+":key/"+derivedID("key", c.account.ID, "ebs")[4:])
			}
			x.ec2Tags(nameTags(v.Name, v.Tags))
			x.close("item")
		}
		x.close("volumeSet")
		x.opt("nextToken", next)
	})
	return nil
}

func (s *Server) ec2DescribeSnapshots(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "SnapshotId")
	owners := listParam(c.form, "Owner")
	for _, o := range owners {
		if o != "self" && o != c.account.ID {
			// Only the account's own snapshots are modelled.
			c.ec2OK(func(x *xmlw) { x.open("snapshotSet"); x.close("snapshotSet") })
			return nil
		}
	}
	if len(owners) == 0 && len(ids) == 0 {
		// AWS lists every snapshot the caller can use, public ones
		// included; the scanner always asks for Owner=self.
		owners = []string{"self"}
	}
	have := map[string]bool{}
	var out []*Snapshot
	for _, sn := range reg.Snapshots {
		have[sn.ID] = true
		if !selected(ids, sn.ID) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"snapshot-id": {sn.ID}, "volume-id": {sn.volumeID}, "encrypted": {strconv.FormatBool(sn.Encrypted)},
			"owner-id": {c.account.ID}, "status": {"completed"},
		}, nameTags(sn.Name, sn.Tags))
		if e != nil {
			return e
		}
		if ok {
			out = append(out, sn)
		}
	}
	if e := checkIDs(ids, have, "InvalidSnapshot.NotFound", "snapshot"); e != nil {
		return e
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("snapshotSet")
		for _, sn := range out[lo:hi] {
			x.open("item")
			x.el("snapshotId", sn.ID)
			x.el("volumeId", sn.volumeID)
			x.el("status", "completed")
			x.ts("startTime", s.daysAgo(sn.CreatedDaysAgo))
			x.el("progress", "100%")
			x.el("ownerId", c.account.ID)
			x.num("volumeSize", sn.size)
			x.el("description", sn.Name)
			x.boolean("encrypted", sn.Encrypted)
			x.el("storageTier", "standard")
			x.ec2Tags(nameTags(sn.Name, sn.Tags))
			x.close("item")
		}
		x.close("snapshotSet")
		x.opt("nextToken", next)
	})
	return nil
}

func (s *Server) ec2DescribeSnapshotAttribute(c *call) *awsError {
	reg := c.ec2Region()
	id := c.form.Get("SnapshotId")
	attr := c.form.Get("Attribute")
	if attr != "createVolumePermission" && attr != "productCodes" {
		return errf(400, "InvalidParameterValue", "Value (%s) for parameter attribute is invalid.", attr)
	}
	var sn *Snapshot
	for _, x := range reg.Snapshots {
		if x.ID == id {
			sn = x
		}
	}
	if sn == nil {
		return errf(400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
	}
	c.ec2OK(func(x *xmlw) {
		x.el("snapshotId", sn.ID)
		if attr == "productCodes" {
			x.open("productCodes")
			x.close("productCodes")
			return
		}
		x.open("createVolumePermission")
		if sn.Public {
			x.open("item")
			x.el("group", "all")
			x.close("item")
		}
		for _, acct := range sn.SharedWith {
			x.open("item")
			x.el("userId", acct)
			x.close("item")
		}
		x.close("createVolumePermission")
	})
	return nil
}

func (s *Server) ec2DescribeImages(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "ImageId")
	owners := listParam(c.form, "Owner")
	for _, o := range owners {
		if o != "self" && o != c.account.ID {
			c.ec2OK(func(x *xmlw) { x.open("imagesSet"); x.close("imagesSet") })
			return nil
		}
	}
	have := map[string]bool{}
	var out []*Image
	for _, im := range reg.Images {
		have[im.ID] = true
		if !selected(ids, im.ID) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"image-id": {im.ID}, "name": {im.Name}, "is-public": {strconv.FormatBool(im.Public)},
			"owner-id": {c.account.ID}, "state": {"available"},
		}, im.Tags)
		if e != nil {
			return e
		}
		if ok {
			out = append(out, im)
		}
	}
	if e := checkIDs(ids, have, "InvalidAMIID.NotFound", "image id"); e != nil {
		return e
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("imagesSet")
		for _, im := range out[lo:hi] {
			x.open("item")
			x.el("imageId", im.ID)
			x.el("imageLocation", c.account.ID+"/"+im.Name)
			x.el("imageState", "available")
			x.el("imageOwnerId", c.account.ID)
			x.el("creationDate", isoTime(s.daysAgo(im.CreatedDaysAgo)))
			x.boolean("isPublic", im.Public)
			x.el("architecture", "x86_64")
			x.el("imageType", "machine")
			x.el("name", im.Name)
			x.el("rootDeviceType", "ebs")
			x.el("rootDeviceName", "/dev/xvda")
			x.el("virtualizationType", "hvm")
			x.el("hypervisor", "xen")
			x.ec2Tags(im.Tags)
			x.close("item")
		}
		x.close("imagesSet")
		x.opt("nextToken", next)
	})
	return nil
}

func (s *Server) ec2DescribeAddresses(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "AllocationId")
	var out []*Address
	for _, ad := range reg.Addresses {
		if !selected(ids, ad.AllocationID) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"allocation-id": {ad.AllocationID}, "public-ip": {ad.PublicIP}, "instance-id": {ad.instanceID}, "domain": {"vpc"},
		}, ad.Tags)
		if e != nil {
			return e
		}
		if ok {
			out = append(out, ad)
		}
	}
	c.ec2OK(func(x *xmlw) {
		x.open("addressesSet")
		for _, ad := range out {
			x.open("item")
			x.el("publicIp", ad.PublicIP)
			x.el("allocationId", ad.AllocationID)
			x.el("domain", "vpc")
			if ad.instanceID != "" {
				x.el("instanceId", ad.instanceID)
				x.el("associationId", derivedID("eipassoc", ad.AllocationID))
				x.el("networkInterfaceId", eniID(ad.instanceID))
				x.el("networkInterfaceOwnerId", c.account.ID)
			}
			x.el("networkBorderGroup", c.region())
			x.ec2Tags(ad.Tags)
			x.close("item")
		}
		x.close("addressesSet")
	})
	return nil
}

func (s *Server) ec2GetEbsEncryptionByDefault(c *call) *awsError {
	on := c.ec2Region().EBSEncryptionByDefault
	c.ec2OK(func(x *xmlw) {
		x.boolean("ebsEncryptionByDefault", on)
		x.el("sseType", "sse-ebs")
	})
	return nil
}

func (s *Server) ec2GetInstanceMetadataDefaults(c *call) *awsError {
	tokens := c.ec2Region().IMDSDefault
	c.ec2OK(func(x *xmlw) {
		x.open("accountLevel")
		if tokens != "" && tokens != "no-preference" {
			x.el("httpTokens", tokens)
		}
		x.close("accountLevel")
	})
	return nil
}

func (s *Server) ec2GetSnapshotBlockPublicAccessState(c *call) *awsError {
	state := c.ec2Region().SnapshotBlockPublicAccess
	if state == "" {
		state = "unblocked"
	}
	c.ec2OK(func(x *xmlw) { x.el("state", state) })
	return nil
}

func (s *Server) ec2GetImageBlockPublicAccessState(c *call) *awsError {
	state := "unblocked"
	if c.ec2Region().ImageBlockPublicAccess {
		state = "block-new-sharing"
	}
	c.ec2OK(func(x *xmlw) { x.el("imageBlockPublicAccessState", state) })
	return nil
}
