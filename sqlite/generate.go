package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

// GenerateOptions shape a synthetic dataset.
type GenerateOptions struct {
	Findings int       // how many findings
	Seed     uint64    // random seed; the same seed gives the same data
	Now      time.Time // the last scan's time
	// LandingZones and AccountsPerLZ size the estate (default 6 and 80).
	LandingZones, AccountsPerLZ int
	// Scans per landing zone, one posture point each (default 12).
	Scans int
}

// genWeights draws an index with the given relative weights.
func genPick(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

type genAccount struct{ lz, id, name, env, owner string }

type genService struct {
	name, resourceType string
	global             bool
	controls           int
}

var genServices = []genService{
	{"s3", "AwsS3Bucket", true, 14}, {"iam", "AwsIamRole", true, 20}, {"iam", "AwsIamUser", true, 10},
	{"ec2", "AwsEc2SecurityGroup", false, 12}, {"ec2", "AwsEc2Instance", false, 10}, {"ec2", "AwsEc2Volume", false, 4},
	{"rds", "AwsRdsDbInstance", false, 12}, {"kms", "AwsKmsKey", false, 4}, {"cloudtrail", "AwsCloudTrailTrail", false, 8},
	{"lambda", "AwsLambdaFunction", false, 6}, {"eks", "AwsEksCluster", false, 6}, {"dynamodb", "AwsDynamoDbTable", false, 3},
	{"sns", "AwsSnsTopic", false, 3}, {"sqs", "AwsSqsQueue", false, 3}, {"guardduty", "AwsGuardDutyDetector", false, 2},
}

var (
	genRegions      = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1"}
	genEnvironments = []string{"production", "staging", "development", "sandbox", "shared"}
	genFrameworks   = []string{"CIS-5.0", "PCI-4.0", "SOC2", "NIST-800-53-r5", "ISO27001-2022"}
)

// GenerateDataset fills an empty store with a synthetic estate of
// o.Findings findings, realistic in shape: landing zones of accounts over
// six regions and global services, a skewed severity mix, mostly passing
// rows, some not evaluated, failures opened over six months and some
// resolved, owners missing on a tenth, one to three events per finding,
// scans with units and artifact pointers, and a posture point per scan. It
// writes in large transactions. The events carry no snapshots: the dataset
// is for measuring reads and cannot be reindexed.
func (s *Store) GenerateDataset(ctx context.Context, o GenerateOptions) error {
	if o.Findings <= 0 {
		return rampart.Errorf(rampart.EINVALID, "generate: findings must be positive, got %d", o.Findings)
	}
	if o.LandingZones <= 0 {
		o.LandingZones = 6
	}
	if o.AccountsPerLZ <= 0 {
		o.AccountsPerLZ = 80
	}
	if o.Scans <= 0 {
		o.Scans = 12
	}
	if o.Now.IsZero() {
		o.Now = s.now()
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	teams := make([]string, 24)
	for i := range teams {
		teams[i] = fmt.Sprintf("team-%02d", i+1)
	}
	var accounts []genAccount
	var lzIDs []string
	for l := 0; l < o.LandingZones; l++ {
		lz := fmt.Sprintf("lz-%02d", l+1)
		lzIDs = append(lzIDs, lz)
		if err := s.UpsertLandingZone(ctx, rampart.LandingZone{ID: lz, Name: fmt.Sprintf("Landing zone %d", l+1),
			Cloud: rampart.CloudAWS, Regions: genRegions, OwnerTeam: teams[l%len(teams)], Environment: "production"}); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		var list []rampart.Account
		for a := 0; a < o.AccountsPerLZ; a++ {
			id := fmt.Sprintf("%012d", 100000000000+l*1000+a)
			env := genEnvironments[genPick(r, []int{45, 20, 20, 10, 5})]
			owner := teams[r.IntN(len(teams))]
			if r.IntN(10) == 0 {
				owner = ""
			}
			ac := genAccount{lz, id, fmt.Sprintf("%s-%s-%03d", lz, env, a), env, owner}
			accounts = append(accounts, ac)
			list = append(list, rampart.Account{LandingZoneID: lz, ID: id, Name: ac.name, Status: "ACTIVE",
				Environment: env, OwnerTeam: owner})
		}
		if err := s.ReplaceAccounts(ctx, lz, list); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	// Scans: o.Scans per LZ, one day apart, the last at o.Now.
	scanIDs := map[string][]string{}
	for _, lz := range lzIDs {
		for i := 0; i < o.Scans; i++ {
			at := o.Now.Add(-time.Duration(o.Scans-1-i) * 24 * time.Hour)
			id := fmt.Sprintf("scan-%s-%03d", lz, i+1)
			scanIDs[lz] = append(scanIDs[lz], id)
			if _, err := s.db.ExecContext(ctx, `INSERT INTO scans (id, landing_zone_id, scanner, status, started_at, finished_at, error)
				VALUES (?, ?, 'native', ?, ?, ?, '')`, id, lz, string(rampart.UnitSucceeded), formatTime(at.Add(-10*time.Minute)), formatTime(at)); err != nil {
				return fmt.Errorf("generate: scan %s: %w", id, err)
			}
		}
	}
	if err := s.generateUnits(ctx, r, accounts, scanIDs, o.Now); err != nil {
		return err
	}

	const batch = 50000
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	prep := func(tx *sql.Tx) (*sql.Stmt, *sql.Stmt, error) {
		fs, err := tx.PrepareContext(ctx, `INSERT INTO findings (`+findingColumns+`) VALUES (`+placeholders(strings.Count(findingColumns, ",")+1)+`)`)
		if err != nil {
			return nil, nil, err
		}
		es, err := tx.PrepareContext(ctx, `INSERT INTO finding_events (finding_id, type, at, scan_id, unit_id, snapshot) VALUES (?, ?, ?, ?, ?, NULL)`)
		return fs, es, err
	}
	fstmt, estmt, err := prep(tx)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	sevW := []int{3, 15, 40, 30, 12}
	// Business context comes from its own stream, so the rest of the data
	// stays what it was for a given seed.
	cr := rand.New(rand.NewPCG(o.Seed, 0xc0de))
	lzOwner := map[string]string{}
	for l, lz := range lzIDs {
		lzOwner[lz] = teams[l%len(teams)]
	}
	for i := 0; i < o.Findings; i++ {
		ac := accounts[r.IntN(len(accounts))]
		svc := genServices[genPick(r, []int{18, 14, 8, 16, 12, 5, 7, 3, 3, 5, 2, 2, 2, 2, 1})]
		region := rampart.GlobalRegion
		if !svc.global {
			region = genRegions[genPick(r, []int{40, 15, 20, 12, 8, 5})]
		}
		sev := rampart.Severities[genPick(r, sevW)]
		status := rampart.Statuses[genPick(r, []int{56, 37, 2, 5})]
		first := o.Now.Add(-time.Duration(r.Int64N(int64(180 * 24 * time.Hour))))
		last := o.Now.Add(-time.Duration(r.IntN(3)) * 24 * time.Hour)
		if last.Before(first) {
			last = first
		}
		var resolved *time.Time
		if status == rampart.StatusFail && r.IntN(5) == 0 || status == rampart.StatusPass && r.IntN(6) == 0 {
			t := first.Add(time.Duration(float64(last.Sub(first)) * r.Float64()))
			resolved = &t
		}
		risk := min(100, max(0, sev.Rank()*17-10+r.IntN(25)))
		fw := genFrameworks[genPick(r, []int{60, 15, 10, 10, 5})]
		ctl := r.IntN(svc.controls)
		scans := scanIDs[ac.lz]
		scanID := scans[len(scans)-1]
		f := rampart.Finding{
			ScanID: scanID, LandingZoneID: ac.lz, AccountID: ac.id, AccountName: ac.name, Region: region,
			CloudProvider: rampart.CloudAWS, Scope: region,
			ResourceID:   fmt.Sprintf("arn:aws:%s:%s:%s:%s/res-%07d", svc.name, region, ac.id, strings.ToLower(svc.resourceType), i),
			ResourceType: svc.resourceType, ResourceName: fmt.Sprintf("res-%07d", i), Service: svc.name,
			ControlID: fmt.Sprintf("%s_control_%02d", svc.name, ctl), Title: fmt.Sprintf("%s control %d", strings.ToUpper(svc.name), ctl),
			Severity: sev, Status: status, RiskScore: risk, RiskReason: fmt.Sprintf("severity %s", sev),
			Remediation: "Apply the documented configuration.", Framework: fw,
			RequirementID: fmt.Sprintf("%d.%d", 1+ctl%5, 1+(ctl+int(sev.Rank()))%9),
			OwnerTeam:     ac.owner, BusinessUnit: ac.lz, Environment: ac.env,
			FirstSeenAt: first, LastSeenAt: last, ResolvedAt: resolved,
			StatusExtended: "generated", Sources: []string{rampart.SourceNative},
		}
		genContext(cr, &f, lzOwner[ac.lz])
		if status == rampart.StatusNotEvaluated {
			f.ErrorClass = rampart.ErrorClasses[r.IntN(len(rampart.ErrorClasses))]
		}
		f.ComputeID()
		if _, err := fstmt.ExecContext(ctx, findingArgs(&f)...); err != nil {
			return fmt.Errorf("generate: finding %d: %w", i, err)
		}
		unit := rampart.UnitID(scanID, ac.id, region)
		if _, err := estmt.ExecContext(ctx, f.FindingID, string(rampart.EventDetected), formatTime(first), scans[0], unit); err != nil {
			return fmt.Errorf("generate: event of finding %d: %w", i, err)
		}
		if resolved != nil {
			if _, err := estmt.ExecContext(ctx, f.FindingID, string(rampart.EventResolved), formatTime(*resolved), scanID, unit); err != nil {
				return fmt.Errorf("generate: event of finding %d: %w", i, err)
			}
		}
		if _, err := estmt.ExecContext(ctx, f.FindingID, string(rampart.EventSeen), formatTime(last), scanID, unit); err != nil {
			return fmt.Errorf("generate: event of finding %d: %w", i, err)
		}
		if (i+1)%batch == 0 {
			fstmt.Close()
			estmt.Close()
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("generate: commit: %w", err)
			}
			if tx, err = s.db.BeginTx(ctx, nil); err != nil {
				return fmt.Errorf("generate: %w", err)
			}
			if fstmt, estmt, err = prep(tx); err != nil {
				return fmt.Errorf("generate: %w", err)
			}
		}
	}
	fstmt.Close()
	estmt.Close()
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("generate: commit: %w", err)
	}
	tx = nil
	// Posture points: the last from the data, earlier ones a plausible
	// decline towards it.
	for _, lz := range lzIDs {
		scans := scanIDs[lz]
		if err := s.RecordPosture(ctx, scans[len(scans)-1]); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		for i, id := range scans[:len(scans)-1] {
			at := o.Now.Add(-time.Duration(len(scans)-1-i) * 24 * time.Hour)
			growth := 1 + 0.02*float64(len(scans)-1-i)
			if _, err := s.db.ExecContext(ctx, `INSERT INTO posture_points (scan_id, landing_zone_id, at, severity, open)
				SELECT ?, landing_zone_id, ?, severity, CAST(open * ? AS INTEGER) FROM posture_points WHERE scan_id = ?`,
				id, formatTime(at), growth, scans[len(scans)-1]); err != nil {
				return fmt.Errorf("generate: posture of %s: %w", id, err)
			}
		}
	}
	if _, err := s.db.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("generate: analyze: %w", err)
	}
	return nil
}

// generateUnits writes the units of every scan (a global unit and one per
// region per account) and one artifact pointer per unit; a few units fail
// or are partial, with their error class.
func (s *Store) generateUnits(ctx context.Context, r *rand.Rand, accounts []genAccount, scanIDs map[string][]string, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		us, err := tx.PrepareContext(ctx, `INSERT INTO scan_units (id, scan_id, landing_zone_id, account_id, region, state,
			error_class, error, attempts, started_at, finished_at, services, findings, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, '[]', 0, ?)`)
		if err != nil {
			return fmt.Errorf("generate: units: %w", err)
		}
		defer us.Close()
		as, err := tx.PrepareContext(ctx, `INSERT INTO artifacts (id, scan_id, unit_id, kind, uri, sha256, size, content_type, created_at)
			VALUES (?, ?, ?, 'native-raw', ?, '', 0, 'application/json', ?)`)
		if err != nil {
			return fmt.Errorf("generate: artifacts: %w", err)
		}
		defer as.Close()
		seq := map[string]int{}
		for _, ac := range accounts {
			for _, scanID := range scanIDs[ac.lz] {
				for _, region := range append([]string{rampart.GlobalRegion}, genRegions...) {
					state, class, msg := rampart.UnitSucceeded, rampart.ErrClassNone, ""
					switch n := r.IntN(200); {
					case n == 0:
						state, class, msg = rampart.UnitFailed, rampart.ErrClassAccessDenied, "AccessDenied: explicit deny in a service control policy"
					case n == 1:
						state, class, msg = rampart.UnitPartial, rampart.ErrClassThrottling, "ec2: Throttling: rate exceeded after 4 attempts"
					case n == 2:
						state, class, msg = rampart.UnitSkipped, rampart.ErrClassRegionDisabled, "region not enabled in the account"
					}
					id := rampart.UnitID(scanID, ac.id, region)
					ts := formatTime(now)
					if _, err := us.ExecContext(ctx, id, scanID, ac.lz, ac.id, region, string(state), string(class), msg, ts, ts, seq[scanID]); err != nil {
						return fmt.Errorf("generate: unit %s: %w", id, err)
					}
					seq[scanID]++
					if _, err := as.ExecContext(ctx, "art-"+id, scanID, id, "file:///generated/"+id+".json", ts); err != nil {
						return fmt.Errorf("generate: artifact of %s: %w", id, err)
					}
				}
			}
		}
		return nil
	})
}

// genSLADays is the generated landing zones' SLA by severity rank (none for
// informational).
var genSLADays = map[int]int{5: 7, 4: 30, 3: 90, 2: 180}

// genContext fills the business context the risk engine would: a risk
// level from the score (the default policy's levels), about 12% public
// (more for S3 and EC2), data sensitivity on about half, privileged IAM
// findings, compensating controls on some private resources, the owner's
// source (an account without owner falls back to the landing zone's owner
// half of the time, and is unowned otherwise) and due_at from the SLA.
func genContext(r *rand.Rand, f *rampart.Finding, lzOwner string) {
	switch {
	case f.RiskScore >= 75:
		f.RiskLevel = "critical"
	case f.RiskScore >= 55:
		f.RiskLevel = "high"
	case f.RiskScore >= 35:
		f.RiskLevel = "medium"
	default:
		f.RiskLevel = "low"
	}
	publicPct := 8
	if f.Service == "s3" || f.Service == "ec2" {
		publicPct = 20
	}
	f.Public = r.IntN(100) < publicPct
	f.DataSensitivity = []string{"", "pii", "confidential", "internal", "public"}[genPick(r, []int{50, 7, 13, 22, 8})]
	f.Privileged = f.Service == "iam" && r.IntN(3) == 0 || r.IntN(40) == 0
	if !f.Public && r.IntN(4) == 0 {
		f.CompensatingControls = []string{"no-public-ip", "private-subnet"}
	}
	switch {
	case f.OwnerTeam == "" && r.IntN(2) == 0:
		f.OwnerTeam, f.OwnerSource = lzOwner, "landing_zone"
	case f.OwnerTeam == "":
		f.OwnerSource = ""
	case r.IntN(3) == 0:
		f.OwnerSource = "tag"
	default:
		f.OwnerSource = "account"
	}
	if d, ok := genSLADays[f.Severity.Rank()]; ok {
		due := f.FirstSeenAt.Add(time.Duration(d) * 24 * time.Hour)
		f.DueAt = &due
	}
}
