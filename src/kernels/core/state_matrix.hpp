// Eigen vectors and matrices of state classes, stored through StateAllocator.
//
// StateDense<Plain> is an Eigen::Map over a StateVector that it owns: it takes part in Eigen
// expressions as the Plain type would, and assigning an expression of another size resizes it.
#pragma once

#include "core/state_alloc.hpp"

#include <Eigen/Dense>

#include <utility>

namespace dmine {

template <typename Plain> class StateDense : public Eigen::Map<Plain> {
    using Base = Eigen::Map<Plain>;
    using Scalar = typename Plain::Scalar;
    using Index = Eigen::Index;
    // The shape of an empty object (a vector keeps its fixed dimension of 1).
    static constexpr Index kEmptyRows = Plain::RowsAtCompileTime == 1 ? 1 : 0;
    static constexpr Index kEmptyCols = Plain::ColsAtCompileTime == 1 ? 1 : 0;

public:
    StateDense() : Base(nullptr, kEmptyRows, kEmptyCols) {}
    StateDense(const StateDense &other)
        : Base(nullptr, kEmptyRows, kEmptyCols), storage_(other.storage_) {
        reseat(other.rows(), other.cols());
    }
    StateDense(StateDense &&other) noexcept : Base(nullptr, kEmptyRows, kEmptyCols) {
        take(std::move(other));
    }
    template <typename Derived>
    StateDense(const Eigen::DenseBase<Derived> &other) : Base(nullptr, kEmptyRows, kEmptyCols) {
        *this = other;
    }

    StateDense &operator=(const StateDense &other) {
        if (this != &other) {
            storage_ = other.storage_;
            reseat(other.rows(), other.cols());
        }
        return *this;
    }
    StateDense &operator=(StateDense &&other) noexcept {
        if (this != &other) take(std::move(other));
        return *this;
    }
    // Assign any expression, resizing first (through a temporary when the size changes, in
    // case the expression reads this object).
    template <typename Derived> StateDense &operator=(const Eigen::DenseBase<Derived> &other) {
        if (other.rows() == this->rows() && other.cols() == this->cols()) {
            Base::operator=(other);
        } else {
            const Plain value = other;
            resize(value.rows(), value.cols());
            Base::operator=(value);
        }
        return *this;
    }

    void resize(Index rows, Index cols) {
        storage_.resize(static_cast<std::size_t>(rows * cols));
        reseat(rows, cols);
    }
    void resize(Index size) {
        if (Plain::ColsAtCompileTime == 1)
            resize(size, 1);
        else
            resize(1, size);
    }

private:
    // Point the map at the storage (Eigen's documented way to change a Map's array).
    void reseat(Index rows, Index cols) {
        new (static_cast<Base *>(this))
            Base(storage_.empty() ? nullptr : storage_.data(), rows, cols);
    }
    void take(StateDense &&other) noexcept {
        const Index rows = other.rows(), cols = other.cols();
        storage_ = std::move(other.storage_);
        reseat(rows, cols);
        other.storage_.clear();
        other.reseat(kEmptyRows, kEmptyCols);
    }

    StateVector<Scalar> storage_;
};

using StateVectorXd = StateDense<Eigen::VectorXd>;
using StateMatrixXd = StateDense<Eigen::MatrixXd>;

} // namespace dmine
