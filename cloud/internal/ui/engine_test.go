package ui

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/qrstand/qrstand/cloud/internal/locale"
)

func TestTemplatesParse(t *testing.T) {
	e, err := newEngine()
	if err != nil {
		t.Fatal(err)
	}
	if len(e.views) < 15 {
		t.Errorf("only %d views parsed", len(e.views))
	}
}

// Every string a template translates has an English translation.
func TestTemplateTextTranslated(t *testing.T) {
	re := regexp.MustCompile(`L\.T "([^"]+)"`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, m := range re.FindAllSubmatch(b, -1) {
			if !locale.Has(string(m[1])) {
				t.Errorf("%s: %q has no English translation", f, m[1])
			}
		}
	}
}
