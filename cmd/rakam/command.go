package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit codes, as documented in the README.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// env is what a command may touch of the outside world; tests pass buffers.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// afterBatch is study.RunOptions.AfterBatch for rakam train: nil but
	// in the tests that kill or interrupt a run at an exact batch.
	afterBatch func(epoch, batch int)
}

// command is one subcommand. Each lives in its own file and registers itself
// from an init function, so commands never share a file.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("rakam: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// usageError marks a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// exitError carries a specific exit code (130 after an interrupt).
type exitError struct {
	code int
	err  error
}

func (x *exitError) Error() string { return x.err.Error() }
func (x *exitError) Unwrap() error { return x.err }

// errHelpShown is returned after --help printed usage: exit 0.
var errHelpShown = errors.New("help shown")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runEnv(ctx, &env{stdin: stdin, stdout: stdout, stderr: stderr}, args)
}

func runEnv(ctx context.Context, e *env, args []string) (code int) {
	stdout, stderr := e.stdout, e.stderr
	defer func() {
		// A panic is a bug in rakam; report it as one line, not a trace.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "rakam: internal error: %v (please report this)\n", r)
			code = exitFailure
		}
	}()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) >= 2 && args[0] == "help" {
			return runEnv(ctx, e, []string{args[1], "--help"})
		}
		printUsage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "rakam: unknown command %q; run 'rakam --help' for the list\n", args[0])
		return exitUsage
	}
	err := c.run(ctx, e, args[1:])
	return exitCode(stderr, c.name, err)
}

func exitCode(stderr io.Writer, name string, err error) int {
	if err == nil || errors.Is(err, errHelpShown) {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "rakam %s: %v\nRun 'rakam %s --help' for usage.\n", name, ue.msg, name)
		return exitUsage
	}
	var xe *exitError
	if errors.As(err, &xe) {
		fmt.Fprintf(stderr, "rakam %s: %v\n", name, xe.err)
		return xe.code
	}
	fmt.Fprintf(stderr, "rakam %s: %v\n", name, err)
	return exitFailure
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "rakam trains, compares, explains and serves handwritten-digit recognisers on MNIST.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: rakam <command> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'rakam <command> --help' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted.")
}

// newFlags returns a flag set whose --help prints usage (a one-line synopsis,
// a description and the flags) to stdout.
func newFlags(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("rakam "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := e.stdout
		fmt.Fprintf(w, "Usage: rakam %s %s\n\n", name, synopsis)
		if description != "" {
			fmt.Fprintln(w, strings.TrimSpace(description))
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "Flags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args, turning -h/--help into errHelpShown and any other
// flag mistake into a usage error. Flags may follow positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			// flag.Parse has already printed fs.Usage.
			return errHelpShown
		}
		if err != nil {
			return usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	// Parse leaves the positional arguments in fs.Args(); rebuild them.
	_ = fs.Parse(append([]string{"--"}, positional...))
	return nil
}
