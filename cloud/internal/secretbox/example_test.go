package secretbox_test

import (
	"bytes"
	"fmt"

	"github.com/qrstand/qrstand/cloud/internal/secretbox"
)

func Example() {
	box, err := secretbox.New(bytes.Repeat([]byte{1}, secretbox.KeySize)) // use secretbox.ParseKey on the configured key
	if err != nil {
		panic(err)
	}
	sealed := box.Seal([]byte("apiv3-key"), []byte("provider:01J..."))
	plain, err := box.Open(sealed, []byte("provider:01J..."))
	fmt.Println(string(plain), err)
	_, err = box.Open(sealed, []byte("provider:other"))
	fmt.Println(err != nil)
	// Output:
	// apiv3-key <nil>
	// true
}
