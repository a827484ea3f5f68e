package mnist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/rakam-ml/rakam/internal/atomicfile"
)

// DefaultMirrors are base URLs that serve the four original .gz files, tried
// in order. Each file is checked against KnownSHA256, so a mirror cannot
// substitute other data.
var DefaultMirrors = []string{
	"https://ossci-datasets.s3.amazonaws.com/mnist/",
	"https://storage.googleapis.com/cvdf-datasets/mnist/",
	"http://yann.lecun.com/exdb/mnist/",
}

// KnownSize is the byte size of each original .gz file.
var KnownSize = map[string]int64{
	"train-images-idx3-ubyte.gz": 9912422,
	"train-labels-idx1-ubyte.gz": 28881,
	"t10k-images-idx3-ubyte.gz":  1648877,
	"t10k-labels-idx1-ubyte.gz":  4542,
}

// ErrChecksum reports a download whose SHA-256 is not the known one.
var ErrChecksum = errors.New("mnist: SHA-256 mismatch")

// DownloadOptions configures Download. The zero value uses DefaultMirrors
// and a client with a 30 s response-header timeout.
type DownloadOptions struct {
	Mirrors []string     // base URLs; the file name is appended
	Client  *http.Client // nil: a client with a response-header timeout
	// Progress, if set, is called with done == 0 when a transfer from url
	// starts, as bytes arrive (total from KnownSize), and with done == total
	// once the file is verified and in place.
	Progress func(file, url string, done, total int64)
	// Log, if set, receives one line per event worth telling a user:
	// a file already present, a mirror that failed and why.
	Log func(msg string)
}

// Download fetches the four MNIST .gz files into dir (created if needed),
// trying the mirrors in order for each file. A file is written only after
// its SHA-256 matches KnownSHA256, through a temporary file renamed into
// place, so an interrupted or corrupt download never leaves a partial file.
// Files already present with the right digest are kept. It returns the paths
// written or kept.
func Download(ctx context.Context, dir string, opts DownloadOptions) ([]string, error) {
	mirrors := opts.Mirrors
	if len(mirrors) == 0 {
		mirrors = DefaultMirrors
	}
	client := opts.Client
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 30 * time.Second
		client = &http.Client{Transport: tr}
	}
	logf := func(format string, a ...any) {
		if opts.Log != nil {
			opts.Log(fmt.Sprintf(format, a...))
		}
	}
	if err := atomicfile.CheckWritable(dir); err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	var paths []string
	for _, base := range Files {
		name := base + ".gz"
		path := filepath.Join(dir, name)
		if sum, err := fileSHA256(path); err == nil && sum == KnownSHA256[name] {
			logf("%s: already present, SHA-256 verified", path)
			paths = append(paths, path)
			continue
		}
		var errs []string
		ok := false
		for _, m := range mirrors {
			url := strings.TrimSuffix(m, "/") + "/" + name
			err := fetch(ctx, client, url, path, name, opts.Progress)
			if err == nil {
				ok = true
				break
			}
			if ctx.Err() != nil {
				return paths, ctx.Err()
			}
			logf("%s: %v; trying the next mirror", url, err)
			errs = append(errs, fmt.Sprintf("%s: %v", url, err))
		}
		if !ok {
			return paths, fmt.Errorf("mnist: could not download %s from any mirror: %s", name, strings.Join(errs, "; "))
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// fetch downloads url to path, verifying size and digest before the rename.
func fetch(ctx context.Context, client *http.Client, url, path, name string, progress func(string, string, int64, int64)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	want := KnownSize[name]
	if resp.ContentLength >= 0 && resp.ContentLength != want {
		return fmt.Errorf("server announces %d bytes; the file has %d", resp.ContentLength, want)
	}
	if progress != nil {
		progress(name, url, 0, want)
	}
	// The inner error is the one worth reporting; atomicfile adds the path of
	// a file that was never created.
	var inner error
	err = atomicfile.Write(path, 0o644, func(w io.Writer) error {
		inner = verifyCopy(w, resp.Body, name, url, want, progress)
		return inner
	})
	if inner != nil {
		return inner
	}
	if err == nil && progress != nil {
		progress(name, url, want, want)
	}
	return err
}

// verifyCopy copies exactly want bytes of body to w and checks their digest.
func verifyCopy(w io.Writer, body io.Reader, name, url string, want int64, progress func(string, string, int64, int64)) error {
	h := sha256.New()
	pw := &progressWriter{name: name, url: url, total: want, fn: progress}
	// Never take more than the known size (+1 to notice a longer body).
	n, err := io.Copy(io.MultiWriter(w, h, pw), io.LimitReader(body, want+1))
	if err != nil {
		return fmt.Errorf("after %d of %d bytes: %w", n, want, err)
	}
	if n != want {
		return fmt.Errorf("got %d bytes; the file has %d", n, want)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != KnownSHA256[name] {
		return fmt.Errorf("got SHA-256 %s, want %s: %w", sum, KnownSHA256[name], ErrChecksum)
	}
	return nil
}

type progressWriter struct {
	name, url   string
	done, total int64
	last        time.Time
	fn          func(string, string, int64, int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.fn != nil && p.done < p.total && time.Since(p.last) > 100*time.Millisecond {
		p.last = time.Now()
		p.fn(p.name, p.url, p.done, p.total)
	}
	return len(b), nil
}
