package speech

import (
	"os"
	"sync"
)

// DefaultPack loads the default pack from the source tree (tests run in the
// package's folder). It is shared by the package's tests and examples.
var DefaultPack = sync.OnceValues(func() (*Pack, error) {
	return LoadPack(os.DirFS("packs/default"))
})

// defaultPackFS is the source tree's pack folder's parent, laid out as the
// embed.FS it replaces was (packs/default/…).
var defaultPackFS = os.DirFS(".")
