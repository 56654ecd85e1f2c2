// Command rampart is Rampart's one binary: the demo, scans, findings,
// reindex and the AWS simulator. All wiring of packages happens here.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/metrics"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Main runs the command line args and returns the exit code: 0 success,
// 1 failure, 2 bad usage or input. Tests call it in-process.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := &app{stdout: stdout, stderr: stderr, metrics: metrics.New()}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "rampart:", err)
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case rampart.ErrorCode(err) == rampart.EINVALID:
		return 2
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"),
		strings.Contains(err.Error(), "flag needs an argument"), strings.Contains(err.Error(), "invalid argument"):
		return 2
	}
	return 1
}

// app holds what every subcommand shares.
type app struct {
	stdout, stderr io.Writer
	logLevel       string
	logFormat      string
	logger         *slog.Logger
	// metrics are this process's Prometheus metrics (served at /metrics).
	metrics *metrics.Metrics
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "rampart",
		Short: "Rampart: self-hosted cloud security posture management for AWS landing zones",
		Long: `Rampart scans every account and region of your AWS landing zones with read-only
native checks, normalizes findings into one schema, tracks their lifecycle,
and keeps everything inside your own boundary.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.setupLogging()
		},
	}
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&a.logFormat, "log-format", "text", "log format: text or json")
	root.AddCommand(
		a.demoCommand(),
		a.scanCommand(),
		a.findingsCommand(),
		a.scansCommand(),
		a.reindexCommand(),
		a.rescoreCommand(),
		a.simCommand(),
		a.checksCommand(),
		a.complianceCommand(),
		a.serveCommand(),
		a.ingestCommand(),
		a.benchCommand(),
		a.workerCommand(),
	)
	return root
}

func (a *app) setupLogging() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return rampart.Errorf(rampart.EINVALID, "--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch a.logFormat {
	case "text":
		a.logger = slog.New(slog.NewTextHandler(a.stderr, opts))
	case "json":
		a.logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
	default:
		return rampart.Errorf(rampart.EINVALID, "--log-format %q: want text or json", a.logFormat)
	}
	return nil
}
