package main

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/mnist"
)

func TestDataUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout (code 0) or stderr
	}{
		{[]string{"data", "--help"}, 0, "Subcommands:"},
		{[]string{"data", "download", "--help"}, 0, "Usage: rakam data download --to DIR"},
		{[]string{"data", "info", "--help"}, 0, "Usage: rakam data info"},
		{[]string{"data", "import", "--help"}, 0, "Usage: rakam data import SRC --to DIR"},
		{[]string{"data", "--help"}, 0, "import"},
		{[]string{"data"}, 2, "missing subcommand: download, import or info"},
		{[]string{"data", "upload"}, 2, `unknown subcommand "upload"`},
		{[]string{"data", "download"}, 2, "--to DIR is required"},
		{[]string{"data", "download", "--to", "x", "--mirror", "ftp://example.invalid/"}, 2, "not an http(s) URL"},
		{[]string{"data", "info", "extra"}, 2, `unexpected argument "extra"`},
	} {
		code, out, errs := runCLI(t, tc.args...)
		where := out
		if tc.code != 0 {
			where = errs
		}
		if code != tc.code || !strings.Contains(where, tc.out) {
			t.Errorf("rakam %s = %d, stdout %q, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, out, errs, tc.code, tc.out)
		}
	}
}

// mnistMirror serves the real .gz files: /good/ as they are, /corrupt/ with
// one byte flipped, /truncated/ cut off half-way after announcing the full
// length.
func mnistMirror(t *testing.T) *httptest.Server {
	t.Helper()
	src, err := mnist.Locate("")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		b, err := os.ReadFile(filepath.Join(src, filepath.Base(name)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		switch kind {
		case "corrupt":
			b[len(b)/3] ^= 1
		case "truncated":
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b[:len(b)/2])
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDataDownload(t *testing.T) {
	t.Setenv(mnist.EnvData, "")
	srv := mnistMirror(t)
	dir := filepath.Join(t.TempDir(), "d")
	code, out, errs := runCLI(t, "data", "download", "--to", dir,
		"--mirror", srv.URL+"/corrupt/", "--mirror", srv.URL+"/truncated", "--mirror", srv.URL+"/good")
	if code != 0 {
		t.Fatalf("rakam data download = %d, stderr %q", code, errs)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 4 {
		t.Errorf("stdout lists %d paths; want 4: %q", len(lines), out)
	}
	for _, want := range []string{"SHA-256 mismatch", "trying the next mirror", "SHA-256 verified", "fetching " + srv.URL + "/good/"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, errs)
		}
	}
	// The downloaded directory is complete and original.
	code, out, errs = runCLI(t, "data", "info", "--data", dir, "--json")
	if code != 0 {
		t.Fatalf("rakam data info on the download = %d, %q", code, errs)
	}
	var info dataInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if !info.ChecksumsMatch || !info.Original || len(info.Files) != 4 {
		t.Errorf("info after download: checksums_match %v, original %v, %d files; want true, true, 4", info.ChecksumsMatch, info.Original, len(info.Files))
	}

	// Only bad mirrors: exit 1, one line naming the file, nothing written.
	dir2 := filepath.Join(t.TempDir(), "d2")
	code, _, errs = runCLI(t, "data", "download", "--to", dir2, "--mirror", srv.URL+"/corrupt", "--mirror", srv.URL+"/truncated")
	last := lastLine(errs)
	if code != 1 || !strings.HasPrefix(last, "rakam data: ") || !strings.Contains(last, "train-images-idx3-ubyte.gz") {
		t.Errorf("download from bad mirrors = %d, last line %q; want 1 and one line naming the file", code, last)
	}
	if entries, _ := os.ReadDir(dir2); len(entries) != 0 {
		t.Errorf("a failed download left %d files in %s", len(entries), dir2)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestDataInfo(t *testing.T) {
	t.Setenv(mnist.EnvData, "")
	code, out, errs := runCLI(t, "data", "info", "--json")
	if code != 0 {
		t.Fatalf("rakam data info --json = %d, %q", code, errs)
	}
	var info dataInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	if len(info.Sets) != 2 || info.Sets[0].Images != 60000 || info.Sets[1].Images != 10000 {
		t.Fatalf("sets = %+v; want train 60000 and test 10000", info.Sets)
	}
	// The normalisation constants everyone quotes for MNIST: 0.1307, 0.3081.
	tr := info.Sets[0]
	if math.Abs(tr.PixelMean-0.1307) > 5e-5 || math.Abs(tr.PixelStd-0.3081) > 5e-5 {
		t.Errorf("train pixel mean %.5f std %.5f; want 0.1307 and 0.3081", tr.PixelMean, tr.PixelStd)
	}
	if tr.ClassCounts[1] != 6742 || info.Sets[1].ClassCounts[5] != 892 {
		t.Errorf("class counts %v / %v; want 6742 ones in train, 892 fives in test", tr.ClassCounts, info.Sets[1].ClassCounts)
	}
	if !info.ChecksumsMatch || !info.Original || info.DatasetSHA256 != mnist.OriginalDatasetSHA256 {
		t.Errorf("checksums_match %v original %v dataset %s; want the original MNIST", info.ChecksumsMatch, info.Original, info.DatasetSHA256)
	}

	code, out, _ = runCLI(t, "data", "info")
	for _, want := range []string{"train  60000 images of 28x28", "matches the original", "(the original MNIST)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("rakam data info = %d; output lacks %q:\n%s", code, want, out)
		}
	}
}

func TestDataInfoDamaged(t *testing.T) {
	src, err := mnist.Locate("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, base := range mnist.Files {
		name := base + ".gz"
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if base == mnist.TrainLabelsFile {
			b = b[:len(b)-100] // cut off the end of the gzip stream
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := runCLI(t, "data", "info", "--data", dir)
	line := strings.TrimSpace(errs)
	if code != 1 || out != "" || strings.Count(line, "\n") != 0 ||
		!strings.Contains(line, filepath.Join(dir, mnist.TrainLabelsFile+".gz")) || !strings.Contains(line, "truncated") {
		t.Errorf("rakam data info on a truncated file = %d, stdout %q, stderr %q; want 1 and one line naming the file", code, out, errs)
	}
	// A directory that lacks the files says how to get them.
	code, _, errs = runCLI(t, "data", "info", "--data", t.TempDir())
	if code != 1 || !strings.Contains(errs, "rakam data download --to") {
		t.Errorf("rakam data info on an empty directory = %d, %q; want 1 and the download hint", code, errs)
	}
}
