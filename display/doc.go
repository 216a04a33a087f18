// Package display draws the QR stand's e-ink face and puts it on a panel.
//
// The face must keep a shop able to take payments even when the stand is off:
// e-ink keeps its last image without power, so every screen that can shows
// the store's payment QR, and the QR is drawn to stay scannable — the
// smallest QR version for the URL, error correction M raised to Q or H when
// that costs no module size, an integer number of pixels per module, as large
// as the layout allows, and the full 4-module quiet zone (see README.md,
// "QR sizing").
//
// Three steps, each usable alone:
//
//  1. Compose(screen, status, Options{Size: …}) draws a Screen (Store,
//     Pairing, Flash, Offline, Error, LowBattery) with its status bar as a
//     1-bit frame (image1bit.On is white) at any size from 96×64 up;
//     layouts are tuned for 250×122, 400×300 and 800×480, landscape or
//     portrait. Text is zh-CN by default (Lang EnUS for English), drawn with
//     the GNU Unifont subset in package display/font.
//  2. A Display wraps a Panel: Show(frame) rotates the frame to the panel,
//     skips it if unchanged, chooses a partial refresh for small changes
//     (the payment flash, the status bar) and a full one for large changes,
//     after Config.MaxPartials partials and when the last full refresh is
//     older than Config.FullEvery (ghosting), and puts the panel to sleep.
//  3. Panels: display/epd (periph.io drivers for the Waveshare 2.13" V2 and
//     the Inky wHAT), display/sim (PNG files, for -sim DIR), wired to real
//     hardware only by display/epd/hw.
//
// Datasheets: Waveshare 2.13" e-Paper HAT V2
// (https://www.waveshare.com/wiki/2.13inch_e-Paper_HAT), Pimoroni Inky
// (https://github.com/pimoroni/inky); QR: ISO/IEC 18004.
package display
