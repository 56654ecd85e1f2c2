// Package awssim is Rampart's AWS simulator: an HTTP server on loopback that
// speaks the real wire protocols of STS and IAM (awsquery), EC2 (ec2query),
// Organizations (awsJson 1.1) and S3 (REST-XML, path-style) well enough that
// unmodified aws-sdk-go-v2 clients, configured with BaseEndpoint (or
// AWS_ENDPOINT_URL) set to the simulator's URL and, for S3, UsePathStyle,
// work against it. Rampart's tests and `rampart demo` use it instead of a
// cloud account.
//
// # Routing and authentication
//
// One listener serves every service. Each request is routed by the SigV4
// credential scope of its Authorization header (or X-Amz-Credential query
// parameter): Credential=AKID/DATE/REGION/SERVICE/aws4_request. Signatures
// are not verified. The access key selects the caller account: static keys
// are declared on accounts (normally the management accounts);
// sts:AssumeRole issues temporary ASIA keys bound to the target account.
// AssumeRole answers AccessDenied when the role does not exist, the external
// ID does not match, the account is SUSPENDED, unknown, or not in the
// caller's organization. Temporary credentials expire by the real clock.
//
// An unknown access key gets the service's own authentication error:
// InvalidClientTokenId (STS, IAM), UnrecognizedClientException
// (Organizations), InvalidAccessKeyId (S3), AuthFailure (EC2). An operation
// the simulator does not implement gets InvalidAction (STS, IAM, EC2),
// UnknownOperationException (Organizations) or NotImplemented (S3).
//
// Disabled regions: an EC2 call signed for a region that is not enabled in
// the caller's account (an opt-in region it has not opted in to, or a region
// the estate does not declare) fails with 401 AuthFailure "AWS was not able
// to validate the provided access credentials", which is what EC2 answers
// for a disabled opt-in region; STS answers 403 InvalidClientTokenId there.
// IAM, Organizations and S3 are global here and ignore the signing region
// (S3 serves any bucket whatever region the call is signed for;
// GetBucketLocation still reports the bucket's region, empty for us-east-1).
//
// State is per account; EC2 state is per account and region. S3 objects live
// in memory.
//
// # Operations
//
//	STS            AssumeRole, GetCallerIdentity
//	Organizations  DescribeOrganization, DescribeAccount, ListRoots,
//	               ListOrganizationalUnitsForParent, ListAccounts,
//	               ListAccountsForParent, ListChildren
//	               (only the management account, except DescribeOrganization;
//	               others get AccessDeniedException)
//	IAM            GetAccountSummary, GetAccountPasswordPolicy, ListUsers,
//	               GetUser, GetLoginProfile, ListMFADevices,
//	               ListVirtualMFADevices, ListAccessKeys, GetAccessKeyLastUsed,
//	               ListAttachedUserPolicies, ListUserPolicies
//	S3             ListBuckets, HeadBucket, CreateBucket, DeleteBucket,
//	               GetBucketLocation, GetBucketPolicy, GetBucketPolicyStatus,
//	               GetBucketAcl, GetPublicAccessBlock, GetBucketEncryption,
//	               GetBucketVersioning, GetBucketLogging, GetBucketTagging,
//	               ListObjectsV2, PutObject, GetObject, HeadObject, DeleteObject
//	EC2            DescribeRegions, DescribeVpcs, DescribeSubnets,
//	               DescribeSecurityGroups, DescribeInstances,
//	               DescribeNetworkInterfaces (ID lists and the common filters)
//
// Paginated operations use Options.PageSize (default 5) when the caller does
// not ask for a page size, so that every consumer's pagination is exercised.
// GetBucketAcl declares the xsi namespace as AWS does; the SDK then leaves
// Grantee.Type empty, so consumers should read Grantee.URI and Grantee.ID.
//
// # Faults
//
// Faults (in the estate or via Server.SetFaults) match calls on account,
// region, service and operation ("" or "*" match anything) and apply to the
// first Count matching calls (0 = every call). Kinds and what they answer:
//
//	kind            sts/iam               organizations                 s3                ec2
//	throttle        400 Throttling        400 TooManyRequestsException  503 SlowDown      503 RequestLimitExceeded
//	access_denied   403 AccessDenied      400 AccessDeniedException     403 AccessDenied  403 UnauthorizedOperation
//	internal_error  500 InternalFailure   500 ServiceException          500 InternalError 500 InternalError
//	                (iam: ServiceFailure)
//	latency         delays the call by the fault's latency (longer than the unit
//	                timeout: the unit times out)
//	expired_token   400 ExpiredToken (JSON: ExpiredTokenException, EC2: RequestExpired);
//	                the caller's session stays expired until new credentials are used
//	connection_reset the connection is closed without a response (RST)
//	malformed       200 with a body cut short
//
// # Quotas
//
// An estate with a quotas section ({} for AWS's defaults, or {scale: 0.1,
// buckets: {iam: {burst: 10, rate: 4}}}) throttles calls with one token
// bucket per API family and caller account (and region for regional
// services), with the numbers AWS documents (QuotaFamilies in quota.go);
// over-quota calls get the service's own throttling answer. Options.QuotaNow
// injects the buckets' clock; Server.QuotaTakes counts calls per bucket.
//
// Organizations' real throttling error is TooManyRequestsException; the SDK's
// retryer treats it as a throttle, as it does ThrottlingException.
//
// # Call recording
//
// Every served call is recorded (Server.Calls) with service, operation,
// caller account, region, access key, start and end (wall clock and exact
// sequence numbers), HTTP status, error code and whether it is mutating (see
// IsMutating). MaxConcurrentAccounts computes the largest number of distinct
// accounts of a set with calls in flight together.
//
// # Estate file
//
// An estate is YAML; unknown fields are rejected and errors name the file,
// line and field path. "N days ago" fields count back from Options.Now at New: fixed instants, which grow older as the clock runs.
//
//	name: demo                        # label (default: file name)
//	latency: {fixed: 10ms}            # or {min: 5ms, max: 40ms}; added to every call
//	regions:                          # every region the simulated AWS knows
//	  - {name: us-east-1}             # enabled in every account
//	  - {name: ap-east-1, opt_in: true}   # enabled only where an account lists it
//	organizations:
//	  - id: o-retail                  # o- + 4..32 lower-case letters/digits
//	    name: retail
//	    root_id: r-ret1               # optional, derived when empty
//	    management_account: "111100000001"
//	    feature_set: ALL              # or CONSOLIDATED_BILLING
//	    ous:
//	      - {id: ou-ret-prod, name: Production}               # parent: root (default)
//	      - {id: ou-ret-sandbox, name: Sandbox, parent: ou-ret-prod}
//	    accounts:
//	      - id: "111100000003"        # 12 digits, unique across the estate
//	        name: retail-web-prod
//	        email: web@example.com    # default <name>@example.com
//	        ou: ou-ret-prod           # default root
//	        status: ACTIVE            # or SUSPENDED
//	        joined_days_ago: 1200
//	        enabled_regions: [us-east-1, eu-west-1, ap-east-1]   # replaces the default list
//	        tags: {Environment: prod, Owner: web-team}
//	        access_keys: [{id: AKIA..., secret: ..., user: rampart-scanner}]
//	        roles: [{name: RampartAudit, external_id: rampart-retail}]  # omit: no audit role
//	        iam:
//	          root_mfa: true
//	          root_access_keys: false
//	          password_policy:        # omit: no password policy (NoSuchEntity)
//	            {minimum_length: 14, require_symbols: true, require_numbers: true,
//	             require_uppercase: true, require_lowercase: true,
//	             allow_users_to_change: true, max_age_days: 90, reuse_prevention: 24,
//	             hard_expiry: false}
//	          users:
//	            - name: jane.ops
//	              created_days_ago: 500
//	              console_password: true
//	              password_last_used_days_ago: 4   # omit: never
//	              mfa: false
//	              access_keys:
//	                - {id: AKIA..., status: Active, age_days: 700,   # id derived when empty
//	                   last_used_days_ago: 200, last_used_service: ec2, last_used_region: us-east-1}
//	              attached_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
//	              inline_policies: [break-glass]
//	        s3:
//	          - name: retail-web-assets-prod
//	            region: us-east-1
//	            created_days_ago: 1100
//	            policy: '{"Version":"2012-10-17","Statement":[...]}'   # omit: none
//	            acl: public-read      # canned: private (default), public-read,
//	                                  # public-read-write, authenticated-read, log-delivery-write
//	            grants: [{grantee: AuthenticatedUsers, permission: READ}]  # or AllUsers, LogDelivery, canonical ID
//	            public_access_block: {block_public_acls: true, ignore_public_acls: true,
//	                                  block_public_policy: true, restrict_public_buckets: true}  # omit: none
//	            encryption: AES256    # none (default), AES256, aws:kms (+ kms_key_id, bucket_key)
//	            versioning: Enabled   # "" (never), Enabled, Suspended; mfa_delete: true
//	            logging: {target_bucket: logs, target_prefix: web/}           # omit: off
//	            tags: {DataClassification: Public}
//	        ec2:
//	          us-east-1:              # must be enabled in the account
//	            vpcs: [{name: web, cidr: 10.10.0.0/16, default: false, tags: {}}]
//	            subnets: [{name: pub-a, vpc: web, cidr: 10.10.0.0/24, az: us-east-1a, public: true}]
//	            security_groups:
//	              - name: legacy-bastion
//	                description: ...
//	                vpc: web          # default: the region's first VPC
//	                ingress:
//	                  - {protocol: tcp, port: 22, cidrs: [0.0.0.0/0]}       # or from_port/to_port
//	                  - {protocol: all, ipv6_cidrs: ["::/0"]}               # all = "-1"
//	                  - {protocol: tcp, port: 8080, source_groups: [web-alb]}
//	                egress: [...]     # default: all traffic to 0.0.0.0/0
//	                tags: {Environment: prod}
//	            instances:
//	              - {name: bastion-1, subnet: pub-a, public_ip: 203.0.113.10,
//	                 security_groups: [legacy-bastion], type: t3.micro, state: running,
//	                 launched_days_ago: 700, iam_instance_profile: web, http_tokens: required,
//	                 tags: {Environment: prod}}
//	faults:
//	  - {account: "*", region: eu-west-1, service: ec2, operation: DescribeSecurityGroups,
//	     kind: throttle, count: 2}
//	  - {service: iam, kind: latency, latency: 200ms}
//
// EC2 resources refer to each other by name or by ID; IDs left out are
// derived deterministically from account, region and name. The embedded demo
// estate (estates/demo.yaml, DemoEstate) lists its misconfigurations at the
// top of the file.
package awssim
