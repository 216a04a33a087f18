// Package printer prints QR Stand's receipts on 58 mm and 80 mm Chinese
// thermal printers: the receipt model, the layouts, the printer profiles,
// the transports (USB printer class, serial, TCP 9100) and the real-time
// status query. It keeps no queue: the stand's journal is the paper-out
// queue (a receipt is printed from the journal and marked done there).
//
// The API the stand uses is small:
//
//   - documents: Payment, Refund, Shift (交班), DailySummary, CatchUp and
//     TestPage, all plain structs with money in int64 fen;
//   - Profile58 and Profile80 (or a Profile of your own) describe the
//     printer: dots, columns, native QR, cutter;
//   - Encode(doc, profile) returns the ESC/POS bytes;
//   - OpenUSB, OpenSerial and DialTCP return a Transport; QueryStatus asks
//     it for paper out, cover open, paper near end and offline (DLE EOT);
//   - Status.Err and the sentinels (ErrPaperOut, …) tell why the printer
//     cannot print;
//   - render.WritePNG (package printer/render) draws the bytes as the paper
//     would look, for the simulator and for tests.
//
// Text goes to the printer as two-byte GB18030 in Chinese mode (FS &);
// anything without a two-byte code is replaced visibly (escpos.Printable),
// and the yuan sign is the full-width ￥, since the half-width ¥ does not
// print. Lines are laid out by display width: a Chinese character takes two
// of the 32 (58 mm) or 48 (80 mm) columns and is never split. QR codes use
// the printer's own generator (GS ( k, tens of bytes) when the profile says
// it has one, and a raster image (GS v 0, kilobytes) otherwise; at
// 9600 baud every byte costs about a millisecond. See README.md for the
// measured figures.
//
// Subpackages: escpos (the command encoder and decoder), render (ESC/POS to
// picture), printertest (a fake Transport for tests) and cmd/escpos2png.
//
// Dependency note: printer/render draws text with the shared GNU Unifont
// subset in github.com/qrstand/qrstand/display/font. The dependency from
// printer to display/font is deliberate: the stand ships one CJK bitmap
// font asset, used for both the e-ink screen and the rendered receipts.
// Only render imports it; the printing path (layouts, encoder, transports,
// queue) does not.
//
// References: the ESC/POS fact sheet in shared/reference/escpos.md and the
// Epson ESC/POS command reference
// (https://download4.epson.biz/sec_pubs/pos/reference_en/escpos/index.html);
// DESIGN.md §7 "Printer".
package printer
