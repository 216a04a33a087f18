package speech

import "github.com/qrstand/qrstand/mqtt/biz"

// Said is what `qrstand say` shows and plays.
type Said struct {
	Fen       int64
	Utterance Utterance
	WAV       []byte
}

// PrepareSay backs the `qrstand say 12.50 [-o out.wav]` subcommand: it parses
// the yuan string with biz.ParseYuan (digits, at most two decimals, above
// zero, at most biz.MaxFen; errors wrap biz's sentinels) and returns the
// announcement for channel ch and its WAV in the pack's format at volume
// percent. The command prints Utterance.Text, then writes WAV to the
// -o file or hands it to a Player.
func PrepareSay(yuan string, ch Channel, two TwoStyle, pack *Pack, volume int) (Said, error) {
	fen, err := biz.ParseYuan(yuan)
	if err != nil {
		return Said{}, err
	}
	u, err := Payment(ch, fen, two)
	if err != nil {
		return Said{}, err
	}
	wav, err := pack.Synthesize(u.Tokens, volume)
	if err != nil {
		return Said{}, err
	}
	return Said{Fen: fen, Utterance: u, WAV: wav}, nil
}
