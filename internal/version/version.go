// Package version says which rakam wrote a file.
package version

import "runtime/debug"

// Base is rakam's release version.
const Base = "0.1.0"

// String returns Base plus the VCS revision when the binary was built from
// a git checkout with VCS stamping on, e.g. "0.1.0+3f2a1c9".
func String() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Base
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 7 {
			return Base + "+" + s.Value[:7]
		}
	}
	return Base
}
