package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/imageprep"
)

// TestPredictJSONLStreams runs predict --jsonl over a folder of 300 images
// (some corrupt, some slow to prepare) and then standard input, with
// stdout and stdin as pipes. It requires the first line before the rest of
// the input is read (standard input stays empty until every folder line is
// out), at most a bounded window of images prepared ahead of the output,
// the lines in input order, and each line the model's own answer.
func TestPredictJSONLStreams(t *testing.T) {
	dir := t.TempDir()
	modelPath, m := servingModel(t, dir)
	imgs := filepath.Join(dir, "imgs")
	os.Mkdir(imgs, 0o755)
	const total = 300
	var files []string
	content := map[string][]byte{}
	for i := range total {
		name := filepath.Join(imgs, fmt.Sprintf("img%04d.png", i))
		data := barPNG(t, 5+(i*7)%80)
		if i%37 == 5 {
			data = data[:50] // corrupt
		}
		os.WriteFile(name, data, 0o644)
		files = append(files, name)
		content[name] = data
	}
	stdinImage := barPNG(t, 33)

	var prepared atomic.Int64
	orig := prepareImage
	t.Cleanup(func() { prepareImage = orig })
	prepareImage = func(name string, stdin io.Reader) (*imageprep.Digit, error) {
		prepared.Add(1)
		if strings.HasSuffix(name, "0.png") || strings.HasSuffix(name, "3.png") {
			time.Sleep(2 * time.Millisecond) // finish out of order
		}
		return orig(name, stdin)
	}

	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(context.Background(), []string{"predict", "--model", modelPath, "--jsonl", imgs, "-"}, inR, outW, &errb)
		outW.Close()
		done <- code
	}()
	lines := bufio.NewReader(outR)
	readLine := func() prediction {
		t.Helper()
		type res struct {
			s   string
			err error
		}
		c := make(chan res, 1)
		go func() { s, err := lines.ReadString('\n'); c <- res{s, err} }()
		select {
		case r := <-c:
			if r.err != nil {
				t.Fatalf("reading a --jsonl line: %v (got %q)", r.err, r.s)
			}
			var p prediction
			if err := json.Unmarshal([]byte(r.s), &p); err != nil || !strings.HasSuffix(r.s, "}\n") || strings.Count(r.s, "\n") != 1 {
				t.Fatalf("--jsonl line %q is not one JSON object on one line: %v", r.s, err)
			}
			return p
		case <-time.After(20 * time.Second):
			t.Fatalf("no --jsonl line within 20 s (%d images prepared): the output is not streamed", prepared.Load())
			return prediction{}
		}
	}
	check := func(i int, p prediction, name string, data []byte) {
		t.Helper()
		if p.File != name {
			t.Fatalf("line %d is for %s; want %s (input order)", i, p.File, name)
		}
		if i%37 == 5 && name != "-" {
			if p.Error == "" || p.Label != nil {
				t.Errorf("line %d (%s, corrupt) = %+v; want an error and no label", i, name, p)
			}
			return
		}
		label, probs, _ := modelAnswer(t, m, data)
		if p.Label == nil || *p.Label != label || fmt.Sprint(p.Probabilities) != fmt.Sprint(probs) || p.Inverted == nil {
			t.Errorf("line %d (%s) = %+v; want label %d, probabilities %v", i, name, p, label, probs)
		}
	}

	check(0, readLine(), files[0], content[files[0]])
	time.Sleep(200 * time.Millisecond) // let the pipeline run ahead as far as it can
	bound := int64(streamBatch + streamWindow + runtime.GOMAXPROCS(0) + 2)
	if n := prepared.Load(); n > bound || n >= total {
		t.Errorf("%d of %d images prepared while the first line waits to be read; want at most %d (a bounded window)", n, total, bound)
	}
	select {
	case code := <-done:
		t.Fatalf("rakam predict --jsonl ended (%d) while its output was unread", code)
	default:
	}
	for i := 1; i < total; i++ {
		check(i, readLine(), files[i], content[files[i]])
	}
	// Every folder line is out and standard input is still empty.
	inW.Write(stdinImage)
	inW.Close()
	check(total, readLine(), "-", stdinImage)
	if rest, _ := io.ReadAll(lines); len(rest) != 0 {
		t.Errorf("output after the last image: %q", rest)
	}
	code := <-done
	failed := (total - 5 + 36) / 37
	if code != 1 || !strings.Contains(errb.String(), fmt.Sprintf("%d of %d images could not be read", failed, total+1)) {
		t.Errorf("rakam predict --jsonl = %d, stderr %q; want 1 and %d of %d failed", code, errb.String(), failed, total+1)
	}
}

func TestPredictJSONLSmall(t *testing.T) {
	dir := t.TempDir()
	modelPath, m := servingModel(t, dir)
	a := filepath.Join(dir, "a.png")
	os.WriteFile(a, barPNG(t, 20), 0o644)
	code, out, errs := runCLI(t, "predict", "--model", modelPath, "--jsonl", a)
	var p prediction
	if err := json.Unmarshal([]byte(out), &p); code != 0 || err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("rakam predict --jsonl FILE = %d, %q (stderr %q); want one line", code, out, errs)
	}
	if label, _, _ := modelAnswer(t, m, barPNG(t, 20)); p.File != a || p.Label == nil || *p.Label != label {
		t.Errorf("line %+v; want %s label %d", p, a, label)
	}
	code, out, errs = runCLI(t, "predict", "--model", modelPath, "--jsonl", "--show", a)
	p = prediction{}
	json.Unmarshal([]byte(out), &p)
	if _, err := os.Stat(filepath.Join(dir, "a"+showSuffix)); code != 0 || p.Show != filepath.Join(dir, "a"+showSuffix) || err != nil {
		t.Errorf("--jsonl --show = %d, %q (stderr %q); want the 28x28 written next to the input and named in the line", code, out, errs)
	}
	if code, _, errs := runCLI(t, "predict", "--model", modelPath, "--json", "--jsonl", a); code != 2 || !strings.Contains(errs, "choose one") {
		t.Errorf("--json --jsonl = %d, %q; want a usage error", code, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	if code := run(ctx, []string{"predict", "--model", modelPath, "--jsonl", a}, strings.NewReader(""), &o, &e); code != exitInterrupted {
		t.Errorf("--jsonl with the context already ended = %d (%q); want %d", code, e.String(), exitInterrupted)
	}
}

// TestPredictWorkersBounded: predict prepares images on at most GOMAXPROCS
// goroutines at once (errgroup's SetLimit), with and without --jsonl, and
// on more than one when it may; every image still gets its line.
func TestPredictWorkersBounded(t *testing.T) {
	dir := t.TempDir()
	modelPath, _ := servingModel(t, dir)
	const n = 40
	var files []string
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf("img%02d.png", i))
		if err := os.WriteFile(name, barPNG(t, 5+i), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	const procs = 3
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	var running, most atomic.Int64
	orig := prepareImage
	t.Cleanup(func() { prepareImage = orig })
	prepareImage = func(name string, stdin io.Reader) (*imageprep.Digit, error) {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		time.Sleep(3 * time.Millisecond) // long enough for the others to start
		return orig(name, stdin)
	}
	for _, jsonl := range []bool{false, true} {
		most.Store(0)
		args := append([]string{"predict", "--model", modelPath, "--json"}, files...)
		if jsonl {
			args[3] = "--jsonl"
		}
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("rakam %s = %d: %s", strings.Join(args[:4], " "), code, errs)
		}
		if got := strings.Count(out, `"file"`); got != n {
			t.Errorf("%s: %d predictions; want %d", args[3], got, n)
		}
		if m := most.Load(); m > procs || m < 2 {
			t.Errorf("%s: at most %d images prepared at once; want 2..%d (GOMAXPROCS)", args[3], m, procs)
		}
	}
}
