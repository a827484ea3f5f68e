package serve

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// corsMethods are the methods the API answers; a preflight gets them all.
const corsMethods = "GET, HEAD, POST, OPTIONS"

// checkOrigin accepts "", "*" or an origin as a browser sends it in the
// Origin header: scheme://host[:port], with no path, query or trailing
// slash.
func checkOrigin(o string) error {
	if o == "" || o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.HasSuffix(o, "/") {
		return fmt.Errorf("serve: CORS origin %q: want scheme://host[:port] as a browser sends it (e.g. https://example.com), or *", o)
	}
	return nil
}

// cors adds the CORS headers for the configured origin and answers
// preflight requests (OPTIONS with Access-Control-Request-Method) itself
// with 204. Requests from other origins get no CORS headers, so the
// browser keeps its same-origin rule for them.
func (s *Server) cors(next http.Handler) http.Handler {
	allowed := s.cfg.CORSOrigin
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		if allowed != "*" {
			// The answer depends on the Origin header: caches must know.
			h.Add("Vary", "Origin")
		}
		if origin == "" || (allowed != "*" && origin != allowed) {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", allowed)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", corsMethods)
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
				h.Set("Access-Control-Allow-Headers", req)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
