package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/infer"
)

// Config holds the server's limits. Zero fields take the defaults in
// DefaultConfig.
type Config struct {
	// MaxBodyBytes caps a request body (default 8 MiB): 413 beyond.
	MaxBodyBytes int64
	// MaxJSONBytes caps a JSON body (default 256 KiB; 784 numbers take
	// a few KiB).
	MaxJSONBytes int64
	// Image caps an uploaded image's declared dimensions, checked before
	// decoding (default 16 megapixels, 8192 on a side).
	Image imageprep.Limits
	// MaxBatch is the most examples a worker runs at once (default 64, at
	// most 4096; less when the model's MaxExamples says so).
	MaxBatch int
	// QueueSize is how many predictions may wait for a worker (default
	// 512, at most 65536); more get 429.
	QueueSize int
	// MaxImageWork is how many uploaded images may be decoded and
	// prepared at once (default GOMAXPROCS); others wait up to ImageWait
	// (default 2 s), then get 429.
	MaxImageWork int
	ImageWait    time.Duration
	// MaxConns caps open connections (default 1024); further ones wait in
	// the kernel's accept queue.
	MaxConns int
	// Timeouts of the HTTP server (defaults: header 5 s, whole request
	// 15 s, response 20 s after the header, idle keep-alive 60 s) so slow
	// clients cannot hold connections. The response gets longer than the
	// request so a stalled upload still receives its 408.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownTimeout is how long in-flight requests get after the context
	// ends (default 10 s), after DrainDelay.
	ShutdownTimeout time.Duration
	// DrainDelay is how long Serve keeps serving after its context ends,
	// with /readyz and /v2/health/ready failing, before it stops accepting
	// (default 0). It gives a load balancer time to notice and stop
	// sending traffic, as a preStop sleep would.
	DrainDelay time.Duration
	// CORSOrigin, when set, is the origin ("https://example.com", or "*"
	// for any) whose pages may call the API from a browser: responses to
	// it carry Access-Control-Allow-Origin and preflight OPTIONS requests
	// are answered. Empty (the default) sends no CORS headers.
	CORSOrigin string
	// MaxInferImages caps the images of one Open Inference Protocol
	// request (default 1024, at most 65536); MaxBodyBytes caps its size.
	MaxInferImages int
	// Logger receives structured logs (default: discard).
	Logger *slog.Logger
	// ModelName is reported by /healthz and names the model in the /v2
	// API (default "model").
	ModelName string
	// Thresholds set the not_digit and unsure flags of /v1/predict's
	// answers (default infer.DefaultThresholds; rakam serve passes the
	// model's own, from its metadata, when it has them).
	Thresholds *infer.Thresholds
}

// Upper bounds of Config fields that size allocations up front.
const (
	maxQueue       = 1 << 16
	maxBatch       = 4096
	maxInferImages = 1 << 16
)

// DefaultConfig holds the defaults.
var DefaultConfig = Config{
	MaxBodyBytes:      8 << 20,
	MaxJSONBytes:      256 << 10,
	Image:             imageprep.Limits{MaxBytes: 8 << 20, MaxPixels: 16_000_000, MaxSide: 8192},
	MaxBatch:          64,
	QueueSize:         512,
	ImageWait:         2 * time.Second,
	MaxConns:          1024,
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       15 * time.Second,
	WriteTimeout:      20 * time.Second,
	IdleTimeout:       60 * time.Second,
	ShutdownTimeout:   10 * time.Second,
	MaxInferImages:    1024,
	ModelName:         "model",
}

func (c Config) withDefaults() Config {
	d := DefaultConfig
	setI64 := func(v *int64, def int64) {
		if *v <= 0 {
			*v = def
		}
	}
	setI := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setI64(&c.MaxBodyBytes, d.MaxBodyBytes)
	setI64(&c.MaxJSONBytes, d.MaxJSONBytes)
	setI64(&c.Image.MaxBytes, c.MaxBodyBytes)
	setI64(&c.Image.MaxPixels, d.Image.MaxPixels)
	setI(&c.Image.MaxSide, d.Image.MaxSide)
	setI(&c.MaxBatch, d.MaxBatch)
	setI(&c.QueueSize, d.QueueSize)
	setI(&c.MaxImageWork, runtime.GOMAXPROCS(0))
	setD(&c.ImageWait, d.ImageWait)
	setI(&c.MaxConns, d.MaxConns)
	setD(&c.ReadHeaderTimeout, d.ReadHeaderTimeout)
	setD(&c.ReadTimeout, d.ReadTimeout)
	setD(&c.WriteTimeout, d.WriteTimeout)
	setD(&c.IdleTimeout, d.IdleTimeout)
	setD(&c.ShutdownTimeout, d.ShutdownTimeout)
	setI(&c.MaxInferImages, d.MaxInferImages)
	if c.ModelName == "" {
		c.ModelName = d.ModelName
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Server answers prediction requests with a set of classifiers.
type Server struct {
	cfg       Config
	thresh    infer.Thresholds // the answers' flags
	log       *slog.Logger
	batch     *batcher
	imageSem  chan struct{}
	handler   http.Handler
	registry  *prometheus.Registry
	closeOnce sync.Once
	// draining is set when Serve's context ends: readiness fails from
	// then on while requests are still answered.
	draining atomic.Bool

	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	predictions prometheus.Counter
	batchSize   prometheus.Histogram
}

// New starts one worker per classifier. Each classifier is used by its
// worker only; pass replicas of one model (see Replicas) to use several
// cores. Close stops the workers.
func New(cs []Classifier, cfg Config) (*Server, error) {
	if len(cs) == 0 {
		return nil, errors.New("serve: no classifier")
	}
	if cfg.QueueSize > maxQueue {
		return nil, fmt.Errorf("serve: queue size %d; the most is %d", cfg.QueueSize, maxQueue)
	}
	if cfg.MaxBatch > maxBatch {
		return nil, fmt.Errorf("serve: batch size %d; the most is %d", cfg.MaxBatch, maxBatch)
	}
	if cfg.MaxInferImages > maxInferImages {
		return nil, fmt.Errorf("serve: %d images per inference request; the most is %d", cfg.MaxInferImages, maxInferImages)
	}
	if cfg.DrainDelay < 0 {
		return nil, fmt.Errorf("serve: negative drain delay %v", cfg.DrainDelay)
	}
	if err := checkOrigin(cfg.CORSOrigin); err != nil {
		return nil, err
	}
	thresh := infer.DefaultThresholds
	if cfg.Thresholds != nil {
		if err := cfg.Thresholds.Validate(); err != nil {
			return nil, fmt.Errorf("serve: %w", err)
		}
		thresh = *cfg.Thresholds
	}
	cfg = cfg.withDefaults()
	// A model may ask for smaller batches (see Model.MaxExamples).
	for _, c := range cs {
		if l, ok := c.(interface{ MaxExamples() int }); ok {
			cfg.MaxBatch = max(1, min(cfg.MaxBatch, l.MaxExamples()))
		}
	}
	s := &Server{
		cfg:      cfg,
		thresh:   thresh,
		log:      cfg.Logger,
		imageSem: make(chan struct{}, cfg.MaxImageWork),
		registry: prometheus.NewRegistry(),
	}
	s.initMetrics()
	s.batch = newBatcher(cs, cfg.QueueSize, cfg.MaxBatch, func(n int) {
		s.predictions.Add(float64(n))
		s.batchSize.Observe(float64(n))
	})
	s.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rakam_queue_length", Help: "Predictions waiting for a worker.",
	}, func() float64 { return float64(len(s.batch.queue)) }))
	s.handler = s.routes()
	return s, nil
}

func (s *Server) initMetrics() {
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rakam_http_requests_total", Help: "HTTP requests by handler, method and status code.",
	}, []string{"handler", "method", "code"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "rakam_http_request_duration_seconds",
		Help:    "Time from request start to the end of the response, by handler.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"handler"})
	s.predictions = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rakam_predictions_total", Help: "Examples run through the model.",
	})
	s.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "rakam_batch_size", Help: "Examples per model call.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 8),
	})
	s.registry.MustRegister(s.requests, s.duration, s.predictions, s.batchSize,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(name string, methods []string, h http.HandlerFunc) http.Handler {
		return s.instrument(name, allow(methods, h))
	}
	mux.Handle("/{$}", handle("page", []string{http.MethodGet, http.MethodHead}, s.page))
	mux.Handle("/v1/predict", handle("predict", []string{http.MethodPost}, s.predict))
	mux.Handle("/healthz", handle("healthz", []string{http.MethodGet, http.MethodHead}, s.healthz))
	mux.Handle("/livez", handle("livez", []string{http.MethodGet, http.MethodHead}, s.livez))
	mux.Handle("/readyz", handle("readyz", []string{http.MethodGet, http.MethodHead}, s.readyz))
	s.v2Routes(mux, handle)
	mux.Handle("/metrics", s.instrument("metrics", allow([]string{http.MethodGet},
		promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError)}).ServeHTTP)))
	mux.Handle("/", s.instrument("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such path %q; try GET / or POST /v1/predict", r.URL.Path))
	})))
	if s.cfg.CORSOrigin != "" {
		return s.cors(mux)
	}
	return mux
}

// allow answers 405 with a JSON error for methods a route does not take.
func allow(methods []string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, m := range methods {
			if r.Method == m {
				h(w, r)
				return
			}
		}
		w.Header().Set("Allow", fmt.Sprint(methods))
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s; use %v", r.Method, r.URL.Path, methods))
	}
}

// statusWriter records the status code and size of a response.
type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts, times and logs each request, and turns a panic in a
// handler into a 500 JSON answer (a bug; the server keeps serving).
func (s *Server) instrument(name string, h http.Handler) http.Handler {
	dur := s.duration.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panicked", "handler", name, "panic", fmt.Sprint(p))
				if sw.code == 0 {
					writeError(sw, http.StatusInternalServerError, "internal error (a bug in rakam; please report it)")
				}
			}
			if sw.code == 0 {
				sw.code = http.StatusOK
			}
			elapsed := time.Since(start)
			dur.Observe(elapsed.Seconds())
			s.requests.WithLabelValues(name, r.Method, fmt.Sprint(sw.code)).Inc()
			level := slog.LevelDebug
			switch {
			case name == "readyz" && sw.code == http.StatusServiceUnavailable:
				// Not ready while draining: expected, not a failure.
				level = slog.LevelInfo
			case sw.code >= 500:
				level = slog.LevelError
			case sw.code >= 400:
				level = slog.LevelInfo
			}
			s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
				"status", sw.code, "bytes", sw.bytes, "duration", elapsed, "remote", r.RemoteAddr)
		}()
		h.ServeHTTP(sw, r)
	})
}

// Serve serves on ln until ctx ends, then shuts down gracefully: readiness
// fails at once, requests are still answered for DrainDelay, then it stops
// accepting, lets requests in flight finish (up to ShutdownTimeout) and
// stops the workers.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln = limitListener(ln, s.cfg.MaxConns)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "model", s.cfg.ModelName)
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	if d := s.cfg.DrainDelay; d > 0 {
		s.log.Info("draining: not ready, still serving", "delay", d)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case err := <-errc:
			t.Stop()
			s.Close()
			return fmt.Errorf("serve: %w", err)
		}
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.Close()
	if err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

// Close stops the workers. Requests still waiting get 503.
func (s *Server) Close() {
	s.closeOnce.Do(s.batch.close)
}
