package speech_test

import (
	"context"
	"fmt"

	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/firmware/internal/speech/speechtest"
	"github.com/qrstand/qrstand/mqtt/biz"
)

func ExampleAmountText() {
	for _, fen := range []int64{1, 1250, 10001200, 10001000000} {
		s, _ := speech.AmountText(fen, speech.TwoEr)
		fmt.Println(biz.FormatFen(fen), s)
	}
	two, _ := speech.AmountText(20000, speech.TwoLiang)
	fmt.Println("200.00", two, "(TwoLiang)")
	// Output:
	// 0.01 零点零一元
	// 12.50 十二点五元
	// 100012.00 十万零一十二元
	// 100010000.00 一亿零一万元
	// 200.00 两百元 (TwoLiang)
}

func ExampleSpeaker() {
	pack, err := speech.DefaultPack()
	if err != nil {
		fmt.Println(err)
		return
	}
	player := &speechtest.Player{} // speech.APlay{Device: "default"} on a stand
	s, err := speech.NewSpeaker(speech.SpeakerOpts{Config: speech.DefaultConfig(), Pack: pack, Player: player})
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := speech.Payment(speech.ChannelWeChat, 1250, s.Two())
	if err := s.Announce(context.Background(), u); err != nil {
		fmt.Println(err)
	}
	last := u // "repeat last": keep the Utterance, Say it again later
	_ = s.Say(context.Background(), last)
	fmt.Println(u.Text, len(player.Plays()))
	// Output: 微信收款十二点五元 2
}

func ExamplePrepareSay() {
	pack, _ := speech.DefaultPack()
	said, err := speech.PrepareSay("100.10", speech.ChannelAlipay, speech.TwoEr, pack, 80)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(said.Fen, said.Utterance.Text)
	_, err = speech.PrepareSay("12.345", speech.ChannelAlipay, speech.TwoEr, pack, 80)
	fmt.Println(err)
	// Output:
	// 10010 支付宝收款一百点一元
	// biz: more than two decimal places: "12.345"
}
