// Command admit is the whole service in one binary: the HTTP server, the
// background worker, migrations, the demo loader and the benchmarks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "admit:", err)
		os.Exit(1)
	}
}

// command is one subcommand of admit.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *environment, args []string) error
}

// environment is what every subcommand receives from run.
type environment struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// or is the environment variable name, or def when it is unset or empty.
func (e *environment) or(name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

func commands() []command {
	return []command{
		{"serve", "Serve the web pages, the checkout and the APIs over HTTP.", runServe},
		{"worker", "Run the background worker (asynq): emails, webhooks, exports.", runWorker},
		{"migrate", "Apply (up) or list (status) the database migrations.", runMigrate},
		{"demo", "Load a demo organization, a published event and an organizer login, and print the login.", runDemo},
		{"bench", "Benchmark an on-sale or the worker (admit bench onsale -h, admit bench confirmations -h).", runBench},
		{"backup", "Back up the database to S3 and restore it to a second (admit backup -h).", runBackup},
		{"flags", "Roll a feature out to organizers: admit flags set NAME 10% (admit flags -h).", runFlags},
		{"faults", "Kill each component in turn under load and prove the invariants (admit faults -h).", runFaults},
		{"galera-check", "Answer HAProxy's check of the Galera node beside it: 200 on the one writer.", runGaleraCheck},
		{"version", "Print the version.", runVersion},
	}
}

// run is the whole program: main only adds the process's signals, arguments,
// environment and standard streams, so tests call run directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := &environment{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) < 2 {
		usage(stderr)
		return errors.New("no command given")
	}
	name, rest := args[1], args[2:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			return run(ctx, []string{args[0], rest[0], "-h"}, getenv, stdout, stderr)
		}
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, env, rest)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", name)
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "admit: event ticketing that holds up when the on-sale opens.\n\nUsage: admit COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-12s %s\n", "help", "Show this help, or a command's flags: admit help serve.")
	fmt.Fprintf(w, "\nEvery flag is also read from an environment variable; `admit COMMAND -h` lists both.\n")
}
