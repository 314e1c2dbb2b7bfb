-- docs/clustering.md takes UCI Online Retail as table retail with snake_case columns.
\ir retail_raw.sql
ALTER TABLE retail RENAME "InvoiceNo" TO invoice_no;
ALTER TABLE retail RENAME "StockCode" TO stock_code;
ALTER TABLE retail RENAME "Description" TO description;
ALTER TABLE retail RENAME "Quantity" TO quantity;
ALTER TABLE retail RENAME "InvoiceDate" TO invoice_date;
ALTER TABLE retail RENAME "UnitPrice" TO unit_price;
ALTER TABLE retail RENAME "CustomerID" TO customer_id;
ALTER TABLE retail RENAME "Country" TO country;
