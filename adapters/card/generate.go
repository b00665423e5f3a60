package card

// The README's sample cards are drawn by the renderer itself.
//go:generate go run ./internal/cardsample ../../docs
