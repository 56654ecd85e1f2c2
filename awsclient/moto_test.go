package awsclient

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rampart-cspm/rampart"
)

// syncBuffer collects moto's output for failure messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startMoto starts moto_server on a free local port and returns its URL.
// Without moto_server on PATH the test is skipped, or fails when CI=true.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto_server not on PATH: %v", err)
		}
		t.Skip("moto_server not on PATH; install moto[server] to run this test")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()

	out := &syncBuffer{}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", port)
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "MOTO_EC2_LOAD_DEFAULT_AMIS=false")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	url := "http://127.0.0.1:" + port
	client := &http.Client{Timeout: time.Second}
	// Wait for moto to answer: a readiness wait, not an assertion on time.
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := client.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		select {
		case err := <-exited:
			t.Fatalf("moto_server exited: %v\n%s", err, out)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s: %v\n%s", url, err, out)
		}
	}
}

// TestMoto cross-checks the factory, the guard and the enumeration against
// moto, an independent implementation of the AWS wire protocols.
func TestMoto(t *testing.T) {
	url := startMoto(t)
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	ctx := context.Background()

	// Set up the organization with an unguarded, test-only client.
	admin := organizations.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(url),
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := admin.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	must(err)
	roots, err := admin.ListRoots(ctx, &organizations.ListRootsInput{})
	must(err)
	root := aws.ToString(roots.Roots[0].Id)
	mkOU := func(parent, name string) string {
		out, err := admin.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
		must(err)
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	workloads := mkOU(root, "workloads")
	prod := mkOU(workloads, "prod")
	sandbox := mkOU(root, "sandbox")
	mkAccount := func(name, parent string) string {
		out, err := admin.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		must(err)
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		_, err = admin.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(root), DestinationParentId: aws.String(parent)})
		must(err)
		return id
	}
	shared := mkAccount("shared", workloads)
	web := mkAccount("web", prod)
	closing := mkAccount("closing", prod)
	play := mkAccount("play", sandbox)
	_, err = admin.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(closing)})
	must(err)

	// Everything below goes through guarded Factory configs.
	f := NewFactory(Options{EndpointURL: url, MaxAttempts: 2})
	base, err := f.Base(ctx, "", "")
	if err != nil {
		t.Fatalf("Base: %v", err)
	}
	org := organizations.NewFromConfig(base)

	t.Run("ListAccounts all", func(t *testing.T) {
		got, err := ListAccounts(ctx, org, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids := ids(got)
		for _, id := range []string{shared, web, closing, play} {
			if !slices.Contains(ids, id) {
				t.Errorf("account %s missing from %v", id, ids)
			}
		}
		if len(got) != 5 { // the four and the management account
			t.Errorf("got %d accounts, want 5: %v", len(got), ids)
		}
	})

	t.Run("ListAccounts under an OU", func(t *testing.T) {
		got, err := ListAccounts(ctx, org, []string{workloads})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]idOU{
			shared:  {shared, workloads, "ACTIVE"},
			web:     {web, prod, "ACTIVE"},
			closing: {closing, prod, "SUSPENDED"},
		}
		if len(got) != len(want) {
			t.Fatalf("got %v, want %v", summarize(got), want)
		}
		for _, s := range summarize(got) {
			if want[s.ID] != s {
				t.Errorf("got %v, want %v", s, want[s.ID])
			}
		}
	})

	t.Run("ListAccounts from the root", func(t *testing.T) {
		got, err := ListAccounts(ctx, org, []string{root})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 {
			t.Fatalf("got %d accounts from the root, want 5: %v", len(got), summarize(got))
		}
		for _, a := range got {
			if a.ID == play && a.OU != sandbox {
				t.Errorf("play account OU = %q, want %q", a.OU, sandbox)
			}
		}
	})

	t.Run("guard", func(t *testing.T) {
		_, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("x"), Email: aws.String("x@example.com")})
		if !errors.Is(err, ErrMutatingCall) {
			t.Fatalf("CreateAccount through the guard: %v", err)
		}
		got, err := ListAccounts(ctx, org, nil)
		if err != nil || len(got) != 5 {
			t.Fatalf("after refused CreateAccount: %d accounts, err %v", len(got), err)
		}
	})

	t.Run("Regions", func(t *testing.T) {
		enabled, disabled, err := Regions(ctx, ec2.NewFromConfig(base))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(enabled, "us-east-1") || slices.Contains(disabled, "us-east-1") {
			t.Errorf("us-east-1 not enabled: enabled %v", enabled)
		}
		if !slices.Contains(disabled, "ap-east-1") {
			t.Errorf("ap-east-1 not reported disabled: disabled %v", disabled)
		}
	})

	t.Run("ForAccount", func(t *testing.T) {
		member := f.ForAccount(base, web, "OrganizationAccountAccessRole", "ext-1", "eu-west-1")
		id, err := sts.NewFromConfig(member).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity as member: %v", err)
		}
		if got := aws.ToString(id.Account); got != web {
			t.Errorf("caller account = %s, want %s (arn %s)", got, web, aws.ToString(id.Arn))
		}
		enabled, _, err := Regions(ctx, ec2.NewFromConfig(member))
		if err != nil || !slices.Contains(enabled, "eu-west-1") {
			t.Errorf("Regions as member: %v, %v", enabled, err)
		}
	})
}

func ids(as []rampart.Account) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}
