package mailtest

import (
	"encoding/base64"
	"io"
	"strings"
)

// base64Reader decodes a base64 body that is split into lines.
func base64Reader(r io.Reader) io.Reader {
	raw, _ := io.ReadAll(r)
	clean := strings.NewReplacer("\r", "", "\n", "").Replace(string(raw))
	return base64.NewDecoder(base64.StdEncoding, strings.NewReader(clean))
}
