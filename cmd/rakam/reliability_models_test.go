package main

// The reliability audit (see reliability_helpers_test.go): damaged model
// files, images and checkpoints.

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/internal/testbad"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/train"
)

// TestReliabilityBadModels gives every command that loads a model damaged
// safetensors files.
func TestReliabilityBadModels(t *testing.T) {
	f := newRelFixture(t)
	good, err := os.ReadFile(f.model)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(fn func(s *testbad.Safetensors)) []byte {
		s, err := testbad.ParseSafetensors(good)
		if err != nil {
			t.Fatal(err)
		}
		fn(s)
		return s.Bytes()
	}
	spec := func(fn func(sp *nn.Spec)) []byte {
		return edit(func(s *testbad.Safetensors) {
			meta, err := s.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			sp, err := nn.ParseSpec([]byte(meta[nn.MetaSpec]))
			if err != nil {
				t.Fatal(err)
			}
			fn(&sp)
			meta[nn.MetaSpec] = string(sp.JSON())
			s.SetMetadata(meta)
		})
	}
	// The first tensor's name and shape, as written by nn.Save.
	s0, err := testbad.ParseSafetensors(good)
	if err != nil {
		t.Fatal(err)
	}
	var first string
	var firstHdr struct {
		Shape []int `json:"shape"`
	}
	for name, raw := range s0.Header {
		var h struct {
			DataOffsets []int64 `json:"data_offsets"`
			Shape       []int   `json:"shape"`
		}
		if name != "__metadata__" && json.Unmarshal(raw, &h) == nil && len(h.DataOffsets) == 2 && h.DataOffsets[0] == 0 {
			first, firstHdr.Shape = name, h.Shape
		}
	}
	if first == "" || len(firstHdr.Shape) != 2 {
		t.Fatalf("cannot find the first 2-D tensor in %s", f.model)
	}

	type badModel struct {
		name     string
		data     []byte
		want     []string
		maxAlloc uint64
	}
	kinds := []badModel{
		{name: "truncated", data: good[:len(good)/2], want: []string{"truncated"}},
		{name: "truncated-in-header", data: good[:100], want: []string{"header length"}},
		{name: "five-bytes", data: good[:5], want: []string{"header length"}},
		{name: "empty", data: []byte{}, want: []string{"header length"}},
		{name: "header-past-end", data: testbad.WithHeaderLength(good, uint64(len(good))+1000), want: []string{"header length", "past the end"}},
		{name: "header-huge", data: testbad.WithHeaderLength(good, 1<<62), want: []string{"header length", "limit"}, maxAlloc: 8 << 20},
		{name: "nan-weight", data: edit(func(s *testbad.Safetensors) { s.SetFloat(3, float32(math.NaN())) }), want: []string{first, "NaN"}},
		{name: "inf-weight", data: edit(func(s *testbad.Safetensors) { s.SetFloat(5, float32(math.Inf(-1))) }), want: []string{first, "Inf"}},
		{name: "spec-other-size", data: spec(func(sp *nn.Spec) {
			for i := range sp.Layers {
				if sp.Layers[i].Kind == "Dense" {
					sp.Layers[i].Units = 64
					break
				}
			}
		}), want: []string{"spec"}},
		{name: "spec-transposed-tensor", data: edit(func(s *testbad.Safetensors) {
			var h map[string]any
			json.Unmarshal(s.Header[first], &h)
			h["shape"] = []int{firstHdr.Shape[1], firstHdr.Shape[0]}
			s.Header[first], _ = json.Marshal(h)
		}), want: []string{first, "shape"}},
		{name: "spec-missing", data: edit(func(s *testbad.Safetensors) {
			meta, _ := s.Metadata()
			delete(meta, nn.MetaSpec)
			s.SetMetadata(meta)
		}), want: []string{nn.MetaSpec}},
		{name: "spec-not-json", data: edit(func(s *testbad.Safetensors) {
			meta, _ := s.Metadata()
			meta[nn.MetaSpec] = "{not json"
			s.SetMetadata(meta)
		}), want: []string{nn.MetaSpec}},
		{name: "dtype-f16", data: edit(func(s *testbad.Safetensors) {
			s.Header[first] = bytes.Replace(s.Header[first], []byte(`"F32"`), []byte(`"F16"`), 1)
		}), want: []string{first, "F16"}},
		{name: "header-not-json", data: append(testbad.WithHeaderLength(make([]byte, 8), 16), []byte("this is no json!")...),
			want: []string{"header"}},
		{name: "a-png", data: relDigitPNG(make([]byte, 784), 1), want: []string{"header length"}},
	}
	os.MkdirAll(filepath.Join(f.root, "bad", "adir"), 0o755)
	var cases []relCase
	for _, k := range kinds {
		path := filepath.Join(f.root, "bad", k.name+".safetensors")
		relWrite(t, path, k.data)
		m := "{bad:" + k.name + ".safetensors}"
		want := append([]string{k.name + ".safetensors"}, k.want...)
		cases = append(cases,
			relCase{name: k.name + "/eval", args: []string{"eval", "--data", "{mn}", m}, code: exitFailure, want: want, maxAlloc: k.maxAlloc},
			relCase{name: k.name + "/predict", args: []string{"predict", "--model", m, "{img}"}, code: exitFailure, want: want, maxAlloc: k.maxAlloc},
			relCase{name: k.name + "/serve", args: []string{"serve", "--model", m, "--addr", "127.0.0.1:0"}, code: exitFailure, want: want, cancel: true},
			relCase{name: k.name + "/export", args: []string{"export", "--onnx", "{w}/x.onnx", m}, code: exitFailure, want: want},
		)
	}
	for _, p := range []struct{ name, path, want string }{
		{"missing", "{w}/missing.safetensors", "missing.safetensors"},
		{"directory", "{bad:adir}", "adir"},
	} {
		cases = append(cases,
			relCase{name: p.name + "/eval", args: []string{"eval", "--data", "{mn}", p.path}, code: exitFailure, want: []string{p.want}},
			relCase{name: p.name + "/predict", args: []string{"predict", "--model", p.path, "{img}"}, code: exitFailure, want: []string{p.want}},
			relCase{name: p.name + "/serve", args: []string{"serve", "--model", p.path, "--addr", "127.0.0.1:0"}, code: exitFailure, want: []string{p.want}, cancel: true},
			relCase{name: p.name + "/export", args: []string{"export", "--onnx", "{w}/x.onnx", p.path}, code: exitFailure, want: []string{p.want}},
		)
	}
	// The good model works with every command, so the cases above fail for
	// the damage alone.
	cases = append(cases,
		relCase{name: "good/eval", args: []string{"eval", "--data", "{mn}", "{model}"}, code: exitOK},
		relCase{name: "good/predict", args: []string{"predict", "--model", "{model}", "{img}"}, code: exitOK},
		relCase{name: "good/serve", args: []string{"serve", "--model", "{model}", "--addr", "127.0.0.1:0"}, code: exitOK, cancel: true},
		relCase{name: "good/export", args: []string{"export", "--onnx", "{w}/x.onnx", "{model}"}, code: exitOK, keep: []string{"x.onnx"}},
	)
	runRelCases(t, f, cases)
}

// TestReliabilityBadImages gives predict images that are bombs, damaged or
// not images at all, from files and from standard input.
func TestReliabilityBadImages(t *testing.T) {
	f := newRelFixture(t)
	digit, err := os.ReadFile(filepath.Join(f.root, "digit.png"))
	if err != nil {
		t.Fatal(err)
	}
	blank := image.NewGray(image.Rect(0, 0, 40, 40))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	var blankPNG bytes.Buffer
	png.Encode(&blankPNG, blank)
	images := map[string][]byte{
		"bomb.png":      testbad.PNGBomb(100000, 100000),
		"wide.png":      testbad.PNGBomb(20000, 10),
		"megapixel.png": testbad.PNGBomb(10000, 5000),
		"zero.png":      testbad.PNGBomb(0, 10),
		"truncated.png": digit[:len(digit)/2],
		"text.png":      []byte("this is not an image\n"),
		"empty.png":     {},
		"blank.png":     blankPNG.Bytes(),
	}
	for name, b := range images {
		relWrite(t, filepath.Join(f.root, "image", name), b)
	}
	os.MkdirAll(filepath.Join(f.root, "image", "none"), 0o755)
	relWrite(t, filepath.Join(f.root, "image", "none", "notes.txt"), []byte("no images here"))

	// predict reports each image that failed on its own line (naming the
	// file and the problem), then a summary line: two lines here.
	predict := func(name string, want ...string) relCase {
		return relCase{name: name, args: []string{"predict", "--model", "{model}", "{image:" + name + "}"}, code: exitFailure,
			want: []string{"1 of 1 images could not be read"}, lines: 2, maxAlloc: 8 << 20,
			check: func(t *testing.T, w, stdout, stderr string) {
				first, _, _ := strings.Cut(stderr, "\n")
				for _, s := range append([]string{"rakam predict: ", name}, want...) {
					if !strings.Contains(first, s) {
						t.Errorf("first line %q does not name %q", first, s)
					}
				}
			}}
	}
	cases := []relCase{
		predict("bomb.png", "100000x100000", "too large"),
		predict("wide.png", "20000x10", "too large"),
		predict("megapixel.png", "10000x5000", "too large"),
		predict("zero.png"),
		predict("truncated.png", "corrupt"),
		predict("text.png", "not a PNG"),
		predict("empty.png", "empty"),
	}
	// A blank image is an answer, not a failure: not a digit.
	cases = append(cases, relCase{name: "blank.png", args: []string{"predict", "--model", "{model}", "{image:blank.png}"}, code: exitOK,
		check: func(t *testing.T, w, stdout, stderr string) {
			if !strings.Contains(stdout, "blank.png: not a digit (blank)") {
				t.Errorf("predict blank.png printed %q; want it answered as not a digit (blank)", stdout)
			}
		}})
	cases = append(cases,
		relCase{name: "missing-file", args: []string{"predict", "--model", "{model}", "{w}/missing.png"}, code: exitFailure,
			want: []string{"missing.png"}},
		relCase{name: "dir-without-images", args: []string{"predict", "--model", "{model}", "{image:none}"}, code: exitFailure,
			want: []string{"none", "no image files"}},
		relCase{name: "good-and-bad", args: []string{"predict", "--model", "{model}", "--json", "{img}", "{image:bomb.png}"}, code: exitFailure,
			want: []string{"1 of 2 images"}, lines: 2,
			check: func(t *testing.T, w, stdout, stderr string) {
				var preds []prediction
				if err := json.Unmarshal([]byte(stdout), &preds); err != nil || len(preds) != 2 || preds[0].Label == nil || preds[1].Error == "" {
					t.Errorf("predict --json = %s (%v); want a label for the good image and an error for the bomb", stdout, err)
				}
			}},
		relCase{name: "good", args: []string{"predict", "--model", "{model}", "{img}"}, code: exitOK},
	)
	runRelCases(t, f, cases)

	// Standard input: the bomb arrives through "-".
	t.Run("stdin-bomb", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"predict", "--model", f.model, "-"}, bytes.NewReader(images["bomb.png"]), &stdout, &stderr)
		first, _, _ := strings.Cut(stderr.String(), "\n")
		if code != exitFailure || !strings.Contains(first, "standard input") || !strings.Contains(first, "100000x100000") {
			t.Errorf("rakam predict - < bomb.png = %d, stderr %q; want 1 and a line naming standard input and the size", code, stderr.String())
		}
	})
}

// TestReliabilityBadCheckpoint: --resume with a damaged checkpoint fails
// with one line naming the file.
func TestReliabilityBadCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	// A real checkpoint: interrupt a run at once.
	ckDir := filepath.Join(f.root, "ck")
	var so, se bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := run(ctx, []string{"train", "--model", "baseline-adam", "--data", filepath.Join(f.root, "mn"), "--val", relVal,
		"--epochs", "1", "--quiet", "--out", filepath.Join(f.root, "ck.safetensors"), "--checkpoint-dir", ckDir}, nil, &so, &se); code != exitInterrupted {
		t.Fatalf("interrupted run = %d, %s", code, se.String())
	}
	good, err := os.ReadFile(filepath.Join(ckDir, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	flip := slices.Clone(good)
	flip[len(flip)-3] ^= 0x40
	var cases []relCase
	for _, k := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "file truncated?"},
		{"bit-flip", flip, "checksum"},
		{"empty", nil, "checkpoint"},
		{"a-model", mustRead(t, f.model), "not a rakam checkpoint"},
		// The binary format before checkpoints became safetensors files.
		{"old-format", append([]byte("RKCKPT01\x02\x00\x00\x00\x00\x00\x00\x00{}"), good[8:64]...), "restart training"},
	} {
		dir := filepath.Join(f.root, "bad", "ck-"+k.name)
		os.MkdirAll(dir, 0o755)
		relWrite(t, filepath.Join(dir, train.CheckpointFile), k.data)
		cases = append(cases, relCase{name: k.name, args: []string{"train", "--resume", "{bad:ck-" + k.name + "}", "--quiet"},
			code: exitFailure, want: []string{"ck-" + k.name, train.CheckpointFile, k.want}})
	}
	runRelCases(t, f, cases)
}
