package awssim

import "strconv"

const nsRDS = "http://rds.amazonaws.com/doc/2014-10-31/"

func init() {
	handlers["rds"] = map[string]handler{
		"DescribeDBInstances":          (*Server).rdsDescribeDBInstances,
		"DescribeDBClusters":           (*Server).rdsDescribeDBClusters,
		"DescribeDBSnapshots":          (*Server).rdsDescribeDBSnapshots,
		"DescribeDBSnapshotAttributes": (*Server).rdsDescribeDBSnapshotAttributes,
	}
}

func (c *call) rdsRegion() *RDSRegion {
	if r := regional(c.account.RDS, c.region()); r != nil {
		return r
	}
	return &RDSRegion{}
}

func (c *call) rdsARN(kind, id string) string {
	return "arn:aws:rds:" + c.region() + ":" + c.account.ID + ":" + kind + ":" + id
}

// rdsPage pages n items with Marker/MaxRecords.
func (s *Server) rdsPage(c *call, n int) (int, int, string, *awsError) {
	max, _ := strconv.Atoi(c.form.Get("MaxRecords"))
	lo, hi, next, err := s.page(n, c.form.Get("Marker"), max)
	if err != nil {
		return 0, 0, "", errf(400, "InvalidParameterValue", "%v", err)
	}
	return lo, hi, next, nil
}

func rdsTags(x *xmlw, tags map[string]string) {
	x.open("TagList")
	for _, k := range sortedKeys(tags) {
		x.open("Tag")
		x.el("Key", k)
		x.el("Value", tags[k])
		x.close("Tag")
	}
	x.close("TagList")
}

func (s *Server) rdsDescribeDBInstances(c *call) *awsError {
	all := c.rdsRegion().Instances
	lo, hi, next, e := s.rdsPage(c, len(all))
	if e != nil {
		return e
	}
	c.queryOK(nsRDS, func(x *xmlw) {
		x.open("DBInstances")
		for _, d := range all[lo:hi] {
			engine := d.Engine
			if engine == "" {
				engine = "postgres"
			}
			port := d.Port
			if port == 0 {
				port = map[string]int{"mysql": 3306, "mariadb": 3306, "postgres": 5432}[engine]
			}
			x.open("DBInstance")
			x.el("DBInstanceIdentifier", d.ID)
			x.el("DBInstanceArn", c.rdsARN("db", d.ID))
			x.el("Engine", engine)
			x.opt("EngineVersion", d.EngineVersion)
			x.el("DBInstanceClass", map[bool]string{true: d.Class, false: "db.t3.medium"}[d.Class != ""])
			x.el("DBInstanceStatus", "available")
			x.opt("MasterUsername", d.MasterUsername)
			x.opt("DBClusterIdentifier", d.Cluster)
			x.boolean("PubliclyAccessible", d.Public)
			x.boolean("StorageEncrypted", d.Encrypted)
			x.num("BackupRetentionPeriod", d.BackupRetention)
			x.boolean("DeletionProtection", d.DeletionProtection)
			x.boolean("AutoMinorVersionUpgrade", d.AutoMinorUpgrade)
			x.boolean("MultiAZ", d.MultiAZ)
			x.boolean("IAMDatabaseAuthenticationEnabled", d.IAMAuth)
			x.num("MonitoringInterval", d.MonitoringInterval)
			x.boolean("CopyTagsToSnapshot", d.CopyTags)
			x.open("Endpoint")
			x.el("Address", d.ID+".sim."+c.region()+".rds.amazonaws.com")
			x.num("Port", port)
			x.close("Endpoint")
			x.open("DBSubnetGroup")
			x.el("DBSubnetGroupName", "default")
			x.el("VpcId", derivedID("vpc", c.account.ID, c.region(), "rds"))
			x.close("DBSubnetGroup")
			x.open("EnabledCloudwatchLogsExports")
			for _, l := range d.LogExports {
				x.el("member", l)
			}
			x.close("EnabledCloudwatchLogsExports")
			rdsTags(x, d.Tags)
			x.close("DBInstance")
		}
		x.close("DBInstances")
		x.opt("Marker", next)
	})
	return nil
}

func (s *Server) rdsDescribeDBClusters(c *call) *awsError {
	all := c.rdsRegion().Clusters
	lo, hi, next, e := s.rdsPage(c, len(all))
	if e != nil {
		return e
	}
	c.queryOK(nsRDS, func(x *xmlw) {
		x.open("DBClusters")
		for _, d := range all[lo:hi] {
			engine := d.Engine
			if engine == "" {
				engine = "aurora-postgresql"
			}
			x.open("DBCluster")
			x.el("DBClusterIdentifier", d.ID)
			x.el("DBClusterArn", c.rdsARN("cluster", d.ID))
			x.el("Engine", engine)
			x.el("Status", "available")
			x.opt("MasterUsername", d.MasterUsername)
			x.boolean("StorageEncrypted", d.Encrypted)
			x.boolean("DeletionProtection", d.DeletionProtection)
			x.boolean("MultiAZ", d.MultiAZ)
			x.boolean("IAMDatabaseAuthenticationEnabled", d.IAMAuth)
			x.boolean("CopyTagsToSnapshot", d.CopyTags)
			x.num("BackupRetentionPeriod", d.BackupRetention)
			rdsTags(x, d.Tags)
			x.close("DBCluster")
		}
		x.close("DBClusters")
		x.opt("Marker", next)
	})
	return nil
}

func (s *Server) rdsDescribeDBSnapshots(c *call) *awsError {
	all := c.rdsRegion().Snapshots
	lo, hi, next, e := s.rdsPage(c, len(all))
	if e != nil {
		return e
	}
	c.queryOK(nsRDS, func(x *xmlw) {
		x.open("DBSnapshots")
		for _, d := range all[lo:hi] {
			x.open("DBSnapshot")
			x.el("DBSnapshotIdentifier", d.ID)
			x.el("DBSnapshotArn", c.rdsARN("snapshot", d.ID))
			x.el("DBInstanceIdentifier", d.Instance)
			x.el("SnapshotType", "manual")
			x.el("Status", "available")
			x.boolean("Encrypted", d.Encrypted)
			x.close("DBSnapshot")
		}
		x.close("DBSnapshots")
		x.opt("Marker", next)
	})
	return nil
}

func (s *Server) rdsDescribeDBSnapshotAttributes(c *call) *awsError {
	id := c.form.Get("DBSnapshotIdentifier")
	for _, d := range c.rdsRegion().Snapshots {
		if d.ID != id {
			continue
		}
		c.queryOK(nsRDS, func(x *xmlw) {
			x.open("DBSnapshotAttributesResult")
			x.el("DBSnapshotIdentifier", d.ID)
			x.open("DBSnapshotAttributes")
			x.open("DBSnapshotAttribute")
			x.el("AttributeName", "restore")
			x.open("AttributeValues")
			if d.Public {
				x.el("AttributeValue", "all")
			}
			x.close("AttributeValues")
			x.close("DBSnapshotAttribute")
			x.close("DBSnapshotAttributes")
			x.close("DBSnapshotAttributesResult")
		})
		return nil
	}
	return errf(404, "DBSnapshotNotFound", "DBSnapshot %s not found.", id)
}
