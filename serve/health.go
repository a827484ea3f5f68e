package serve

import "net/http"

// livez answers GET /livez: the process is up and answering HTTP. It stays
// 200 while draining, so an orchestrator does not restart a server that is
// shutting down on purpose.
func (s *Server) livez(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers GET /readyz: 200 while the server takes new work, 503 from
// the moment Serve's context ends (SIGTERM or SIGINT in rakam serve), so a
// load balancer stops sending traffic while requests in flight finish.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready() {
		writeError(w, http.StatusServiceUnavailable, "shutting down: not taking new requests")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "model": s.cfg.ModelName})
}

// ready reports whether the server takes new work: not draining and the
// workers not stopped.
func (s *Server) ready() bool {
	if s.draining.Load() {
		return false
	}
	select {
	case <-s.batch.quit:
		return false
	default:
		return true
	}
}
