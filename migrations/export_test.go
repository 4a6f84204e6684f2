package migrations

// LoadReserved is Load with the given versions reserved, as All reserves Reserved().
var LoadReserved = load
