INSERT INTO items (name, price, qty) VALUES ('seeded', 1.5, 3);
