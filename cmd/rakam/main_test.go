package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs rakam with args and returns the exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpAndUsageExitCodes(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != 0 || !strings.Contains(out, "scratch") {
		t.Fatalf("rakam --help = %d, %q; want 0 and a list naming scratch", code, out)
	}
	for name := range commands {
		code, out, errs := runCLI(t, name, "--help")
		if code != 0 || strings.Count(out, "Usage: rakam "+name) != 1 {
			t.Errorf("rakam %s --help = %d, stdout %q, stderr %q; want 0 and usage once", name, code, out, errs)
		}
	}
	if code, _, errs := runCLI(t, "no-such-command"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("rakam no-such-command = %d, %q; want 2 and 'unknown command'", code, errs)
	}
	if code, _, errs := runCLI(t, "scratch", "--epochs", "zero"); code != 2 || !strings.Contains(errs, "--help") {
		t.Errorf("rakam scratch --epochs zero = %d, %q; want 2 and a pointer to --help", code, errs)
	}
	if code, _, _ := runCLI(t, "scratch", "--lr", "-1"); code != 2 {
		t.Errorf("rakam scratch --lr -1 = %d; want 2", code)
	}
}

// TestScratchJSONContract trains one short epoch and checks the fields that
// reports and other tools rely on.
func TestScratchJSONContract(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping MNIST training in -short mode")
	}
	code, out, errs := runCLI(t, "scratch", "--epochs", "1", "--batch", "128", "--json")
	if code != 0 {
		t.Fatalf("rakam scratch --json = %d; stderr:\n%s", code, errs)
	}
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", out)
	}
	for _, k := range []string{"model", "test_accuracy", "test_loss", "macro_precision", "macro_recall", "macro_f1",
		"weighted_f1", "per_class", "confusion", "epochs", "seconds_per_epoch", "train_seconds", "params", "history"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if acc, _ := obj["test_accuracy"].(float64); acc < 0.9 {
		t.Errorf("test_accuracy = %v; want above 0.9 after one epoch", obj["test_accuracy"])
	}
	if pc, _ := obj["per_class"].([]any); len(pc) != 10 {
		t.Errorf("per_class has %d entries; want 10", len(pc))
	}
	if cm, _ := obj["confusion"].([]any); len(cm) != 10 {
		t.Errorf("confusion has %d rows; want 10", len(cm))
	}
	if h, _ := obj["history"].([]any); len(h) != 1 {
		t.Errorf("history has %d rows; want 1", len(h))
	} else if row := h[0].(map[string]any); row["val_accuracy"] == nil || row["train_loss"] == nil {
		t.Errorf("history row %v lacks val_accuracy or train_loss", row)
	}
	if !strings.Contains(errs, "epoch 1/1") {
		t.Errorf("progress did not go to stderr: %q", errs)
	}
}

// TestCorruptDataIsOneLine points --data at a directory whose training
// images are truncated and expects exit 1 with one line naming the file.
func TestCorruptDataIsOneLine(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"train-images-idx3-ubyte": {0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3},
		"train-labels-idx1-ubyte": {0, 0, 8, 1, 0, 0, 0xea, 0x60},
		"t10k-images-idx3-ubyte":  {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28},
		"t10k-labels-idx1-ubyte":  {0, 0, 8, 1, 0, 0, 0, 0},
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errs := runCLI(t, "scratch", "--data", dir, "--epochs", "1")
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(errs, "train-images-idx3-ubyte") {
		t.Fatalf("rakam scratch on truncated data = %d, stderr %q; want 1 and one line naming the file", code, errs)
	}
	if strings.Contains(errs, "goroutine") || strings.Contains(errs, "panic") {
		t.Fatalf("stderr shows a panic: %s", errs)
	}
}
