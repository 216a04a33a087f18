package speechtest

import (
	"path/filepath"
	"runtime"
)

// PackDir is the default voice pack's folder in the source tree, found from
// this file's own path, so any package's tests can load it with
// speech.LoadPack(os.DirFS(speechtest.PackDir())) — also under qemu-user,
// which runs the tests on the same tree. (The pack is not embedded in the
// binary; see speech.DefaultPackDir.)
func PackDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "packs", "default")
}
