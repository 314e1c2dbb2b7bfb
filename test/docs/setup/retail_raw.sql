-- UCI Online Retail as loaded from its CSV (the file's column names), in table retail.
-- psql variable :data is the reference data directory.
CREATE TABLE retail ("InvoiceNo" text, "StockCode" text, "Description" text, "Quantity" int,
                     "InvoiceDate" timestamp, "UnitPrice" numeric, "CustomerID" int, "Country" text);
\set load '\\copy retail FROM PROGRAM ''gzip -dc ' :data '/retail/online_retail.csv.gz'' WITH (FORMAT csv, HEADER)'
:load
