package update

import "runtime/debug"

// goarm is the GOARM level this binary was built for ("6", "7"), from its
// build settings; "7" when unknown.
func goarm() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" && s.Value != "" {
				return s.Value[:1]
			}
		}
	}
	return "7"
}
