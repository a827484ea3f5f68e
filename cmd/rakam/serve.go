package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/serve"
	"github.com/rakam-ml/rakam/tensor"
)

func init() {
	register(&command{name: "serve", summary: "serve a model over HTTP with a drawing page", run: runServe})
}

// defaultServeAddr is --addr's default when PORT is not set.
const defaultServeAddr = "127.0.0.1:8080"

type serveOptions struct {
	model     string
	addr      string
	workers   int
	threads   int
	maxBatch  int
	queue     int
	maxBody   int64
	logLevel  string
	logFormat string
	drain     time.Duration
	cors      string
}

func runServe(ctx context.Context, e *env, args []string) error {
	var o serveOptions
	fs := newFlags(e, "serve", "--model FILE [--addr HOST:PORT] [flags]", `
Serves a trained model over HTTP until interrupted. On SIGINT or SIGTERM,
/readyz fails at once; the server keeps answering for --drain-delay, then
stops accepting, finishes the requests in flight and exits 0.

  GET  /            a page to draw a digit on, with the prediction as you draw
  POST /v1/predict  an image (image/* body or multipart/form-data) or JSON
                    {"pixels": [784 numbers in 0..1]}; answers
                    {"label": 7, "probabilities": [...], "not_digit": false,
                    "unsure": false} (a blank image: label -1, not_digit);
                    ?number=1 reads the image as a number: {"number":
                    "2024", "digits": [...], "unsure": ...}
  GET  /healthz     {"status": "ok"}
  GET  /livez       200 while the process answers (liveness probe)
  GET  /readyz      200 while taking requests, 503 once shutting down
  GET  /metrics     Prometheus metrics
  /v2/...           the Open Inference Protocol (KServe v2): GET /v2,
                    /v2/health/live, /v2/health/ready, /v2/models/NAME,
                    /v2/models/NAME/ready, POST /v2/models/NAME/infer with
                    input "input" (FP32, [N,784] or [N,1,28,28]); outputs
                    "probabilities" (FP32 [N,10]) and "label" (INT64 [N])

Without --model, the study's real-input model is served (cnn-real in
$RAKAM_MODELS, else out/models). The not_digit and unsure flags use the
model's own thresholds (its metadata), else 0.5 and 0.9 (top probability).
NAME is the model's name: its rakam.name metadata, else the file name without
extension. The address defaults to :$PORT when the PORT environment variable
is set (as container platforms do). Bad requests get a 4xx JSON
{"error": "..."}; see docs/serving.md for the API and the limits. Logs are
structured (log/slog) on standard error.`)
	fs.StringVar(&o.model, "model", "", "the trained model `file` (.safetensors, from rakam train; default: the study's "+realInputModel+" in $RAKAM_MODELS or out/models)")
	fs.StringVar(&o.addr, "addr", defaultServeAddr, "listen on this `host:port` (port 0 picks a free one); default :$PORT when PORT is set")
	fs.IntVar(&o.workers, "workers", 1, "model replicas run in parallel, each batching the requests waiting")
	fs.IntVar(&o.threads, "threads", 0, "threads per matrix product (0: every core)")
	fs.IntVar(&o.maxBatch, "max-batch", serve.DefaultConfig.MaxBatch, "most requests one model call takes")
	fs.IntVar(&o.queue, "queue", serve.DefaultConfig.QueueSize, "predictions that may wait; more get 429")
	fs.Int64Var(&o.maxBody, "max-body", serve.DefaultConfig.MaxBodyBytes, "largest request body in `bytes`; more get 413")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug (every request), info (errors and 4xx), warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json")
	fs.DurationVar(&o.drain, "drain-delay", 0, "after SIGTERM/SIGINT, keep serving this `long` with /readyz failing before shutting down (replaces a preStop sleep)")
	fs.StringVar(&o.cors, "cors", "", "allow browser pages from this `origin` (https://host[:port], or * for any) to call the API; no CORS headers when unset")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	addrSet := false
	fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
	if port := os.Getenv("PORT"); port != "" && !addrSet {
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return usagef("PORT=%q in the environment: want a port number 0..65535 (or pass --addr)", port)
		}
		o.addr = ":" + port
	}
	if o.model == "" {
		m, err := defaultModel()
		if err != nil {
			return err
		}
		o.model = m
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if o.workers < 1 || o.workers > 64 {
		return usagef("--workers %d: want 1..64", o.workers)
	}
	if o.threads < 0 || o.threads > 256 {
		return usagef("--threads %d: want 0..256", o.threads)
	}
	if o.maxBatch < 1 || o.maxBatch > 4096 {
		return usagef("--max-batch %d: want 1..4096", o.maxBatch)
	}
	if o.queue < 1 || o.queue > 65536 {
		return usagef("--queue %d: want 1..65536", o.queue)
	}
	if o.maxBody < 1024 {
		return usagef("--max-body %d: want at least 1024", o.maxBody)
	}
	if o.drain < 0 {
		return usagef("--drain-delay %v: want 0 or more", o.drain)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	hopts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	switch strings.ToLower(o.logFormat) {
	case "text":
		logger = slog.New(slog.NewTextHandler(e.stderr, hopts))
	case "json":
		logger = slog.New(slog.NewJSONHandler(e.stderr, hopts))
	default:
		return usagef("--log-format %q: want text or json", o.logFormat)
	}

	model, meta, err := nn.Load(o.model)
	if err != nil {
		return err
	}
	// The answers' not_digit and unsure flags: the model's own thresholds
	// (chosen for the study's cnn-real), as rakam predict uses them.
	thresh, err := infer.ThresholdsOf(meta)
	if err != nil {
		return fmt.Errorf("%s: %w", o.model, err)
	}
	if o.threads > 0 {
		tensor.SetThreads(o.threads)
		defer tensor.SetThreads(0)
	}
	cs, err := serve.Replicas(model, o.workers)
	if err != nil {
		return fmt.Errorf("%s: %w", o.model, err)
	}
	name := meta[nn.MetaName]
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(o.model), filepath.Ext(o.model))
	}
	s, err := serve.New(cs, serve.Config{
		MaxBodyBytes: o.maxBody,
		MaxBatch:     o.maxBatch,
		QueueSize:    o.queue,
		Logger:       logger,
		ModelName:    name,
		DrainDelay:   o.drain,
		CORSOrigin:   o.cors,
		Thresholds:   &thresh,
	})
	if err != nil {
		return usagef("%v", err) // the flags were checked above but for --cors
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		s.Close()
		return fmt.Errorf("--addr %s: %w", o.addr, err)
	}
	fmt.Fprintf(e.stderr, "rakam serve: %s on http://%s/ (Ctrl-C to stop)\n", name, ln.Addr())
	return s.Serve(ctx, ln)
}
