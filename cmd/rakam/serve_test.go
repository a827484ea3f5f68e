package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/serve"
)

func TestServeCommand(t *testing.T) {
	dir := t.TempDir()
	modelPath, m := servingModel(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"serve", "--model", modelPath, "--addr", "127.0.0.1:0", "--log-format", "json"},
			strings.NewReader(""), io.Discard, pw)
		pw.Close()
		done <- code
	}()
	lines := bufio.NewScanner(pr)
	var url string
	for lines.Scan() {
		if m := regexp.MustCompile(`on (http://\S+/)`).FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
			break
		}
	}
	if url == "" {
		t.Fatal("rakam serve never said where it listens")
	}
	go io.Copy(io.Discard, pr)

	label, probs, _ := modelAnswer(t, m, barPNG(t, 40))
	resp, err := http.Post(url+"v1/predict", "image/png", strings.NewReader(string(barPNG(t, 40))))
	if err != nil {
		t.Fatal(err)
	}
	var r serve.Response
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != 200 || r.Label != label || len(r.Probabilities) != 10 || r.Probabilities[label] != probs[label] {
		t.Errorf("POST /v1/predict = %d %+v; want label %d, p %v", resp.StatusCode, r, label, probs[label])
	}
	resp, err = http.Get(url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"model":"tiny"`) {
		t.Errorf("GET /healthz = %s; want the model's name", b)
	}

	cancel() // as SIGINT does
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("rakam serve exited %d after an interrupt; want 0 (graceful stop)", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("rakam serve did not stop after the context ended")
	}
}

func TestServeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	modelPath, _ := servingModel(t, dir)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"serve"}, 2, "--model FILE is required"},
		{[]string{"serve", "--model", modelPath, "--workers", "0"}, 2, "--workers 0"},
		{[]string{"serve", "--model", modelPath, "--threads", "-1"}, 2, "--threads -1"},
		{[]string{"serve", "--model", modelPath, "--queue", "1000000000"}, 2, "--queue 1000000000: want 1..65536"},
		{[]string{"serve", "--model", modelPath, "--log-level", "loud"}, 2, "--log-level"},
		{[]string{"serve", "--model", modelPath, "--addr", "256.0.0.1:99999"}, 1, "256.0.0.1"},
		{[]string{"serve", "--model", dir + "/missing.safetensors"}, 1, "missing.safetensors"},
		{[]string{"serve", "--model", modelPath, "extra"}, 2, `unexpected argument "extra"`},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("rakam %s = %d, %q; want %d and %q", strings.Join(c.args, " "), code, errs, c.code, c.msg)
		}
	}
}
