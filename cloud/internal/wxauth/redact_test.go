package wxauth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	base := errors.New("http get error : uri=https://api.weixin.qq.com/sns/oauth2/access_token?appid=wx1&secret=S3CR3T&code=C0DE&grant_type=authorization_code , statusCode=502")
	err := fmt.Errorf("%w: %v", ErrExchange, Redact(base))
	for _, leak := range []string{"S3CR3T", "C0DE"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("%q still in %q", leak, err)
		}
	}
	if !strings.Contains(err.Error(), "appid=wx1") || !strings.Contains(err.Error(), "statusCode=502") {
		t.Errorf("redacted too much: %q", err)
	}
	tok := Redact(fmt.Errorf("send: %w", errors.New(`Get "https://api.weixin.qq.com/cgi-bin/message/template/send?access_token=T0K3N": timeout`)))
	if strings.Contains(tok.Error(), "T0K3N") {
		t.Errorf("token in %q", tok)
	}
	if !errors.Is(Redact(fmt.Errorf("x?secret=1: %w", ErrExchange)), ErrExchange) {
		t.Error("Redact broke the error chain")
	}
	if Redact(nil) != nil {
		t.Error("Redact(nil) != nil")
	}
}
