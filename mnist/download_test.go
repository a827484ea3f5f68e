package mnist

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func tempFiles(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// mirrorServer serves the real .gz files under /good/, flipped bytes under
// /corrupt/, cut-off bodies under /truncated/ and 404 under /missing/. It
// counts requests per path.
func mirrorServer(t *testing.T) (*httptest.Server, map[string]int) {
	t.Helper()
	src := realData(t)
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		kind, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		b, err := os.ReadFile(filepath.Join(src, filepath.Base(name)))
		if err != nil || kind == "missing" {
			http.NotFound(w, r)
			return
		}
		switch kind {
		case "corrupt":
			b[len(b)/2] ^= 0x55
		case "truncated":
			// Announce the full length, send half, and hang up.
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.WriteHeader(http.StatusOK)
			w.Write(b[:len(b)/2])
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

func TestDownload(t *testing.T) {
	srv, hits := mirrorServer(t)
	dir := filepath.Join(t.TempDir(), "mnist")
	var logs []string
	var progressed int
	paths, err := Download(context.Background(), dir, DownloadOptions{
		Mirrors:  []string{srv.URL + "/missing", srv.URL + "/corrupt/", srv.URL + "/truncated", srv.URL + "/good"},
		Log:      func(m string) { logs = append(logs, m) },
		Progress: func(file, url string, done, total int64) { progressed++ },
	})
	if err != nil {
		t.Fatalf("Download = %v", err)
	}
	if len(paths) != 4 {
		t.Fatalf("Download wrote %d files; want 4", len(paths))
	}
	for _, f := range Files {
		for _, kind := range []string{"missing", "corrupt", "truncated", "good"} {
			if hits["/"+kind+"/"+f+".gz"] != 1 {
				t.Errorf("%s/%s.gz requested %d times; want once", kind, f, hits["/"+kind+"/"+f+".gz"])
			}
		}
	}
	sums, err := Checksums(dir)
	if err != nil || len(sums) != 4 {
		t.Fatalf("Checksums(download) = %v, %v", sums, err)
	}
	for name, sum := range sums {
		if sum != KnownSHA256[name] {
			t.Errorf("%s downloaded with SHA-256 %s; want %s", name, sum, KnownSHA256[name])
		}
	}
	if tmp := tempFiles(dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	joined := strings.Join(logs, "\n")
	for _, want := range []string{"404", "SHA-256 mismatch", "after"} {
		if !strings.Contains(joined, want) {
			t.Errorf("log does not mention %q:\n%s", want, joined)
		}
	}
	if progressed < 4 {
		t.Errorf("progress called %d times; want at least once per file", progressed)
	}
	if _, err := LoadTest(dir); err != nil {
		t.Errorf("LoadTest(downloaded) = %v", err)
	}

	// A second run keeps the verified files and fetches nothing.
	before := len(hits)
	total := 0
	for _, n := range hits {
		total += n
	}
	if _, err := Download(context.Background(), dir, DownloadOptions{Mirrors: []string{srv.URL + "/good"}}); err != nil {
		t.Fatal(err)
	}
	after := 0
	for _, n := range hits {
		after += n
	}
	if after != total || len(hits) != before {
		t.Errorf("second Download made %d requests; want 0", after-total)
	}
}

func TestDownloadAllMirrorsBad(t *testing.T) {
	srv, _ := mirrorServer(t)
	dir := t.TempDir()
	// A stale partial file from an earlier attempt must be replaced, not trusted.
	os.WriteFile(filepath.Join(dir, TrainImagesFile+".gz"), []byte("partial"), 0o644)
	_, err := Download(context.Background(), dir, DownloadOptions{Mirrors: []string{srv.URL + "/corrupt", srv.URL + "/truncated"}})
	if err == nil {
		t.Fatal("Download from bad mirrors = nil error")
	}
	for _, want := range []string{TrainImagesFile + ".gz", "any mirror", "SHA-256 mismatch", "/truncated/"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if !errors.Is(err, ErrChecksum) && !strings.Contains(err.Error(), "mismatch") {
		t.Errorf("error %v does not report the checksum", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, TrainImagesFile+".gz")); string(b) != "partial" {
		t.Errorf("the old file was changed by a failed download")
	}
	if tmp := tempFiles(dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestDownloadCancelled(t *testing.T) {
	srv, _ := mirrorServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	if _, err := Download(ctx, dir, DownloadOptions{Mirrors: []string{srv.URL + "/good"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Download(cancelled) = %v; want context.Canceled", err)
	}
	if tmp := tempFiles(dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}
