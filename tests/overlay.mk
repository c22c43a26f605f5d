# tests of the overlay issue
