package outbox_test

import (
	"context"
	"testing"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// hangingWeChat is a template API that never answers until released.
type hangingWeChat struct {
	calls   chan struct{}
	release chan struct{}
}

func (h *hangingWeChat) SendTemplate(ctx context.Context, _ string, _ []byte) error {
	select {
	case h.calls <- struct{}{}:
	default:
	}
	select {
	case <-h.release:
	case <-ctx.Done():
	}
	return context.DeadlineExceeded
}

// A WeChat outage never delays a stand: with the template API hanging on
// the clerk's message, the payment still reaches the stand and its ack
// marks the row delivered.
func TestHangingWeChatDoesNotDelayStand(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	b := mqtttest.Start(t, mqtttest.Options{})
	wx := &hangingWeChat{calls: make(chan struct{}, 1), release: make(chan struct{})}
	startDispatcher(t, w, b, wx)
	t.Cleanup(func() { close(wx.release) }) // runs before the dispatcher stops
	a := mqtttest.StartStand(t, b, paytest.StandA, b.AddStand(paytest.StandA))
	a.Next(mqtt.KindSync)
	// The first payment's template row takes the template loop hostage.
	no := pay(t, w, "3.00")
	<-wx.calls
	no2 := pay(t, w, "4.00") // pay waits for the stand's ack
	for _, n := range []string{no, no2} {
		rowState(t, w, n, paytest.StandA, model.OutboxDelivered)
	}
}
