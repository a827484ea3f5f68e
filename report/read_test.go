package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadRoundTrip writes a report, reads its results.json back and
// writes again: the two reports are identical.
func TestReadRoundTrip(t *testing.T) {
	dir, _ := writeFixture(t)
	in, err := ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	dir2 := t.TempDir()
	if err := Write(dir2, in); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{MarkdownFile, HTMLFile, JSONFile, "plots/search.svg", "plots/mistakes.svg"} {
		if readFile(t, filepath.Join(dir, f)) != readFile(t, filepath.Join(dir2, f)) {
			t.Errorf("%s differs after a round trip through results.json", f)
		}
	}
}

func TestReadErrors(t *testing.T) {
	dir, _ := writeFixture(t)
	good, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "empty input"},
		{"syntax", `{"rows": [`, "unexpected EOF"},
		{"bad byte", `{"rows": x}`, "at byte 10"},
		{"type", `{"rows": [{"name": 3}]}`, `field "rows.name"`},
		{"no rows", `{"title": "t"}`, "no rows"},
		{"invalid row", strings.Replace(string(good), `"name": "scratch"`, `"name": ""`, 1), "Rows[0].Name"},
	}
	for _, tt := range tests {
		_, err := Read(bytes.NewReader([]byte(tt.data)))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "report: ") {
			t.Errorf("Read(%s) = %v; want an error mentioning %q", tt.name, err, tt.want)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("ReadFile(missing) = %v; want an error naming the file", err)
	}
}

// FuzzRead feeds arbitrary bytes to Read: it must return an Input that
// Write accepts, or an error, and never panic.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"rows":[{"name":"a","test_accuracy":0.9}]}`))
	f.Add([]byte(`{"rows":[{"name":"a","test_accuracy":0.9,"confusion":[[1,2],[3]]}]}`))
	f.Add([]byte(`{"rows":[{"name":"a","history":[{"epoch":1,"val_loss":0.1}]}],"early_stopping":{"model":"a","stopped_epoch":1,"best_epoch":1}}`))
	f.Add([]byte(`{"rows":[{"name":"a"}],"mistakes":[{"pixels":"AAAA","true":1,"pred":2}]}`))
	f.Add([]byte(`{"rows":[{"name":"a"},{"name":"b"}],"ensembles":[{"name":"e","method":"soft","members":["a","b"],"accuracy":0.5}],"search":{"trials":[{"params":{"lr":0.1,"opt":"adam"},"val_accuracy":0.5}]}}`))
	f.Add([]byte(`{"rows":[{"name":"a"}],"schedule":{"scheduled":"a","constant":"a","lr":[0.1,0.05],"steps_per_epoch":2}}`))
	f.Add([]byte(`{"rows":[{"name":"a","history":[{"epoch":9223372036854775807},{"epoch":9223372036854775806}]}]}`))
	f.Add([]byte(`{"rows":[{"name":"a","train_seconds":1e-300},{"name":"b","train_seconds":1e300}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		if _, err := Analyze(in); err != nil {
			t.Fatalf("Read accepted input that Analyze rejects: %v", err)
		}
		p, err := prepare(in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := buildPage(p); err != nil {
			// Charts may refuse degenerate data with an error, but not panic.
			t.Logf("buildPage: %v", err)
		}
	})
}
